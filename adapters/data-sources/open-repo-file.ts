import { constants } from "node:fs";
import { glob, open, realpath, stat, type FileHandle } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ModelshipError } from "../../core/errors.ts";

export type RepoFile = { handle: FileHandle; path: string; bytes: number };

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Repository-relative files a `path` names: itself, or the matches of a glob (sorted). Paths
 * that are absolute or climb out with `..` are refused before anything is touched.
 */
export async function expandRepoPaths(opts: {
  repoDir: string;
  path: string;
  at: string;
}): Promise<string[]> {
  const { path, at } = opts;
  refuseLexicalEscape(path, at);
  if (!GLOB_CHARS.test(path)) return [path];
  const found: string[] = [];
  for await (const match of glob(path, { cwd: opts.repoDir })) found.push(match.split(sep).join("/"));
  if (found.length === 0) {
    throw new ModelshipError({
      code: "data-glob-no-match",
      message: `${at}: the glob '${path}' matches no file in the repository`,
      hint: "Globs are relative to the repository root, e.g. data/*.csv.",
    });
  }
  return found.sort();
}

/**
 * Opens a file for reading only when it is a regular file whose real path (symlinks resolved)
 * is inside the repository: no devices (/dev/zero), no FIFOs, no sockets, no escapes.
 */
export async function openRepoFile(opts: { repoDir: string; path: string; at: string }): Promise<RepoFile> {
  const { path, at } = opts;
  refuseLexicalEscape(path, at);
  const root = await realpath(opts.repoDir);
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch (err) {
    throw new ModelshipError({
      code: "data-unreadable",
      message: `${at}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "unknown error"}`,
      where: { file: path },
      hint: "Data paths are relative to the repository root.",
    });
  }
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw outside(path, at);
  // stat before open: opening a FIFO for reading would block until a writer appears.
  if (!(await stat(real)).isFile()) throw notRegular(path, at);
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw notRegular(path, at);
  }
  return { handle, path, bytes: info.size };
}

function refuseLexicalEscape(path: string, at: string): void {
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.split(/[\\/]/).includes(".."))
    throw outside(path, at);
}

function outside(path: string, at: string): ModelshipError {
  return new ModelshipError({
    code: "data-path-outside-repo",
    message: `${at}: ${path} is outside the repository`,
    where: { file: path },
    hint: "Data files must live inside the repository (no absolute paths, no '..', no symlinks that leave it). Copy the file in, or use an http, sqlite or postgres source.",
  });
}

function notRegular(path: string, at: string): ModelshipError {
  return new ModelshipError({
    code: "data-not-regular-file",
    message: `${at}: ${path} is not a regular file (a device, FIFO, socket or directory)`,
    where: { file: path },
    hint: "Point the source at a regular data file; streams and devices are not read.",
  });
}
