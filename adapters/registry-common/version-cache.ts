import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import { manifestProblems } from "../../core/registry/check-manifest.ts";
import type { Artifact, ModelVersion, Registry } from "../../core/registry/registry-port.ts";
import { checkArtifactBytes } from "./check-artifact-bytes.ts";
import { withFileLock } from "./file-lock.ts";

/** Where verified copies of registered versions are unpacked: `<root>/<name>/<version>`. */
export function versionCachePath(cacheRoot: string, name: string, version: string): string {
  return join(cacheRoot, name, version);
}

/**
 * A verified copy of `version` under `cacheRoot`, for compare and deploy. Every call re-checks the
 * copy's files against the digests the registry recorded; a copy that does not match is reported
 * through `warn` (cache-digest-mismatch), moved away and fetched again from the registry.
 *
 * Safe under concurrent processes: fetches take a per-version lock file, and a copy is written
 * into a staging directory beside its place and renamed into it, so a reader sees no copy or a
 * whole one. Correctness rests on the rename and the re-check, not on the lock (which only keeps
 * processes from fetching the same version at once): a process that loses the rename uses the
 * winner's copy once it has verified it.
 */
export async function materializeVersionCache(opts: {
  registry: Pick<Registry, "materialize">;
  cacheRoot: string;
  version: ModelVersion;
  warn?: (problem: Problem) => void;
}): Promise<string> {
  const { version } = opts;
  const dir = versionCachePath(opts.cacheRoot, version.name, version.version);
  const first = await verifyCachedCopy(dir, version.artifacts);
  if (first === "verified") return dir;
  await mkdir(dirname(dir), { recursive: true });
  return withFileLock(`${dir}.lock`, async () => {
    // Another process may have fetched it while this one waited for the lock.
    const state = await verifyCachedCopy(dir, version.artifacts);
    if (state === "verified") return dir;
    if (state !== "absent") {
      for (const p of state) opts.warn?.(p);
      await discard(dir);
    }
    const staging = join(dirname(dir), `.${version.version}.fetch-${randomBytes(4).toString("hex")}`);
    try {
      await opts.registry.materialize(version.name, version.version, staging);
      await rename(staging, dir);
    } catch (err) {
      if (!isTakenError(err)) throw err;
      // Lost the rename to a process that did not wait for the lock: use its copy if it is right.
      const winner = await verifyCachedCopy(dir, version.artifacts);
      if (winner !== "verified") throw new ModelshipError(winner === "absent" ? [] : winner);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  });
}

/**
 * Checks a cached copy against the recorded artifacts: exactly those files (regular files, no
 * links), each with its size and sha256. "absent" when there is no copy at all.
 */
export async function verifyCachedCopy(
  dir: string,
  artifacts: readonly Artifact[],
): Promise<"verified" | "absent" | Problem[]> {
  const actual = await listCopy(dir);
  if (actual === undefined) return "absent";
  const mismatch = (message: string): Problem => ({
    code: "cache-digest-mismatch",
    message: `cached copy: ${message}`,
    where: { file: dir },
    hint: "The copy was altered after it was fetched; it is replaced by a fresh copy from the registry.",
  });
  const problems = manifestProblems({
    expected: artifacts.map((a) => a.path),
    actual,
    noun: "files",
    mismatch,
  });
  if (problems.length > 0) return problems;
  const found = await checkArtifactBytes({
    artifacts,
    read: async (a) => {
      const file = join(dir, a.path);
      const st = await lstat(file).catch(() => undefined);
      if (!st?.isFile()) return { problem: `${a.path} is not a regular file` };
      return readFile(file);
    },
    mismatch,
    sink: async () => {},
  });
  return found.length > 0 ? found : "verified";
}

/** Every entry of a copy as a `/`-separated path (directories descended, anything else listed); undefined when absent. */
async function listCopy(dir: string): Promise<string[] | undefined> {
  const st = await lstat(dir).catch(() => undefined);
  if (st === undefined) return undefined;
  if (!st.isDirectory()) return [""];
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path);
      else out.push(path);
    }
  };
  await walk("");
  return out;
}

/** Moves a bad copy out of its place at once (a rename), then deletes it. */
async function discard(dir: string): Promise<void> {
  const aside = `${dir}.bad-${randomBytes(4).toString("hex")}`;
  await rename(dir, aside);
  await rm(aside, { recursive: true, force: true });
}

function isTakenError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOTEMPTY" || code === "EEXIST";
}
