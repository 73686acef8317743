import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./run-action.ts";

type Metafile = { inputs: Record<string, unknown>; outputs: Record<string, { bytes: number; imports: { path: string; external?: boolean }[] }> };

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
    const fresh = (await readdir(join(outDir, "dist"))).sort();
    const committed = (await readdir(join(REPO_ROOT, "dist"))).sort();
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
    const nativeImports = bundle.match(/(?:from|import\(|require\()\s*["'](?:onnxruntime-node|@tensorflow\/[^"']+)["']/g);
    expect(nativeImports).toBeNull();
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((f) => /^runners\/|onnxruntime|@tensorflow|onnx-proto/.test(f))).toEqual([]);
    const imports = Object.values(meta.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => !builtinModules.includes(p.replace(/^node:/, "")))).toEqual([]);
  });

  it("stays small enough to start fast", () => {
    const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });
});
