import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "build/", ".modelship/", "coverage/"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "Use string unions, not enums." },
      ],
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "fs", "path", "child_process", "http", "os"],
              message: "core/ is pure: pass I/O in through ports.",
            },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "process", message: "core/ is pure: pass values in." }],
    },
  },
  {
    files: ["adapters/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["runners", "cli", "bot", "action", "ui"].flatMap((d) => [
                `../${d}/*`,
                `../../${d}/*`,
                `../../../${d}/*`,
              ]),
              message:
                "adapters/ never import runners or front doors: move the shared part into core/ or adapters/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["ui/**/*.ts", "ui/**/*.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["cli", "bot", "action"].flatMap((d) => [
                `../${d}/*`,
                `../../${d}/*`,
                `../../../${d}/*`,
              ]),
              message: "Front doors never import each other: share through core/ or adapters/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["action/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["cli", "bot"].flatMap((d) => [`../${d}/*`, `../../${d}/*`]),
              message: "Front doors never import each other: share through core/ or adapters/.",
            },
          ],
        },
      ],
    },
  },
);
