import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./run-action.ts";

type Metafile = {
  inputs: Record<string, unknown>;
  outputs: Record<
    string,
    {
      bytes: number;
      inputs: Record<string, unknown>;
      imports: { path: string; kind: string; external?: boolean }[];
    }
  >;
};

let outDir = "";
let meta: Metafile;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "modelship-dist-"));
  const script = (await import(join(REPO_ROOT, "scripts", "build-action.mjs"))) as {
    buildAction: (out: string) => Promise<Metafile>;
  };
  meta = await script.buildAction(outDir);
});

describe("the committed bundle", () => {
  it("matches a fresh build byte for byte (run `npx node scripts/build-action.mjs` after changing the Action)", async () => {
    const list = async (dir: string) =>
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    const fresh = await list(join(outDir, "dist"));
    const committed = await list(join(REPO_ROOT, "dist"));
    expect(committed).toEqual(fresh);
    for (const file of fresh) {
      const a = await readFile(join(outDir, "dist", file), "utf8");
      const b = await readFile(join(REPO_ROOT, "dist", file), "utf8");
      expect(b === a, `dist/${file} is stale`).toBe(true);
    }
    expect(await readFile(join(REPO_ROOT, "action.yml"), "utf8")).toBe(
      await readFile(join(outDir, "action.yml"), "utf8"),
    );
  });

  it("contains no native runtime and no runner code", async () => {
    const bundle = await readFile(join(REPO_ROOT, "dist", "index.js"), "utf8");
    const nativeImports = bundle.match(
      /(?:from|import\(|require\()\s*["'](?:onnxruntime-node|@tensorflow\/[^"']+)["']/g,
    );
    expect(nativeImports).toBeNull();
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((f) => /^runners\/|onnxruntime|@tensorflow|onnx-proto/.test(f))).toEqual([]);
    const imports = Object.values(meta.outputs).flatMap((o) =>
      o.imports.filter((i) => i.external).map((i) => i.path),
    );
    const builtin = (p: string) =>
      builtinModules.includes(p) || builtinModules.includes(p.replace(/^node:/, ""));
    // ws (under the Kubernetes client) tries these optional native speed-ups in a try/catch; pg
    // (PostgreSQL sources) loads pg-native only when `pg.native` is read, which Modelship never does.
    const optional = ["bufferutil", "utf-8-validate", "pg-native"];
    expect([...new Set(imports)].filter((p) => !builtin(p) && !optional.includes(p))).toEqual([]);
  });

  it("keeps the entry small enough to start fast; the Kubernetes client is a chunk loaded on demand", () => {
    const entry = Object.entries(meta.outputs).find(([file]) => file.endsWith("dist/index.js"));
    expect(entry).toBeDefined();
    expect(entry![1].bytes).toBeLessThan(2 * 1024 * 1024);
    const staticImports = entry![1].imports
      .filter((i) => !i.external && i.kind === "import-statement")
      .map((i) => i.path);
    const k8sChunks = Object.entries(meta.outputs)
      .filter(
        ([file, o]) =>
          file.includes("/chunks/") &&
          Object.keys(o.inputs).some((f) => f.includes("@kubernetes/client-node")),
      )
      .map(([file]) => file);
    expect(k8sChunks.length).toBeGreaterThan(0);
    for (const chunk of k8sChunks) expect(staticImports).not.toContain(chunk);
  });
});
