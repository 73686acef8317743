// Builds the GitHub Action: action.yml from the input/output registry, and dist/index.js with esbuild.
//   node scripts/build-action.mjs            writes action.yml and dist/
//   node scripts/build-action.mjs --out DIR  writes both into DIR instead (the stale-dist test uses this)
// Run with Node 24 (`npx node scripts/build-action.mjs`): it imports the TypeScript registry directly.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Packages with native parts: never bundled, and never reached by the Action's own code paths. */
export const NATIVE_PACKAGES = [
  "onnxruntime-node",
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-backend-wasm",
];

/** Bundles the Action into `outDir/dist/` (entry index.js) and renders `outDir/action.yml`; returns the esbuild metafile. */
export async function buildAction(outDir = root) {
  await rm(join(outDir, "dist"), { recursive: true, force: true });
  const { renderActionYml } = await import(join(root, "action", "render-action-yml.ts"));
  await writeFile(join(outDir, "action.yml"), renderActionYml());
  await mkdir(join(outDir, "dist"), { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: "action/index.ts" },
    outdir: join(outDir, "dist"),
    // The Kubernetes target is a separate chunk, loaded only by deploy/rollback with target kubernetes.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    minify: true,
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for node builtins.
    banner: {
      js: 'import { createRequire as __msCreateRequire } from "node:module";const require = __msCreateRequire(import.meta.url);',
    },
    external: [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...NATIVE_PACKAGES],
  });
  await writeFile(join(outDir, "dist", "package.json"), '{ "type": "module" }\n');
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--out");
  const outDir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : root;
  await mkdir(outDir, { recursive: true });
  const meta = await buildAction(outDir);
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`action.yml and dist/ written to ${outDir} (${(bytes / 1024).toFixed(0)} KiB)\n`);
}
