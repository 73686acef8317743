import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crc32, inflateRawSync } from "node:zlib";

export type ZipLimits = { maxBytes: number; maxEntries: number };

export type ZipProblem = { reason: "zip-invalid" | "zip-unsafe-entry" | "zip-too-large"; message: string };

export type ZipEntryInfo = {
  path: string;
  directory: boolean;
  method: number;
  size: number;
  compressedSize: number;
  crc: number;
  dataOffset: number;
};

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * Lists a zip archive's entries and checks them before anything is written: no absolute or
 * `..` paths, no backslashes or drive letters, no links or devices, no encryption, no zip64,
 * only stored or deflated data, and declared sizes within the limits.
 */
export function readZipEntries(
  zip: Buffer,
  limits: ZipLimits,
): { ok: true; entries: ZipEntryInfo[] } | { ok: false; problem: ZipProblem } {
  const invalid = (message: string) => ({
    ok: false as const,
    problem: { reason: "zip-invalid" as const, message },
  });
  const unsafe = (message: string) => ({
    ok: false as const,
    problem: { reason: "zip-unsafe-entry" as const, message },
  });
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) return invalid("not a zip archive (no end of central directory)");
  const count = zip.readUInt16LE(end + 10);
  const cdOffset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) return invalid("zip64 archives are not supported");
  if (count > limits.maxEntries)
    return {
      ok: false,
      problem: { reason: "zip-too-large", message: `${count} entries, more than ${limits.maxEntries}` },
    };
  const entries: ZipEntryInfo[] = [];
  const seen = new Set<string>();
  let total = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== CENTRAL)
      return invalid(`central directory entry ${i} is corrupt`);
    const madeBy = zip.readUInt16LE(p + 4) >> 8;
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const external = zip.readUInt32LE(p + 38);
    const localOffset = zip.readUInt32LE(p + 42);
    const path = zip.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    p += 46 + nameLen + extraLen + commentLen;

    if (flags & 0x1) return unsafe(`${path} is encrypted`);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff)
      return invalid("zip64 archives are not supported");
    const directory = path.endsWith("/");
    const why = unsafePath(directory ? path.slice(0, -1) : path);
    if (why !== undefined) return unsafe(`${JSON.stringify(path)} ${why}`);
    const mode = madeBy === 3 ? (external >>> 16) & S_IFMT : 0;
    if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR)
      return unsafe(`${path} is a link or special file`);
    if (madeBy === 3 && mode === S_IFDIR && !directory)
      return unsafe(`${path} is a directory without a trailing slash`);
    if (method !== 0 && method !== 8) return invalid(`${path} uses compression method ${method}`);
    const key = path.replace(/\/$/, "");
    if (seen.has(key)) return unsafe(`${path} appears twice`);
    seen.add(key);
    total += size;
    if (total > limits.maxBytes)
      return {
        ok: false,
        problem: {
          reason: "zip-too-large",
          message: `the archive expands to more than ${limits.maxBytes} bytes`,
        },
      };
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL)
      return invalid(`${path} has no local header`);
    const dataOffset =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    if (dataOffset + compressedSize > zip.length) return invalid(`${path} is truncated`);
    entries.push({ path: key, directory, method, size, compressedSize, crc, dataOffset });
  }
  // A file that is also used as a directory (a/b and a/b/c) cannot be written safely.
  for (const e of entries) {
    if (e.directory) continue;
    if (entries.some((o) => o.path.startsWith(`${e.path}/`)))
      return unsafe(`${e.path} is both a file and a directory`);
  }
  return { ok: true, entries };
}

/** Writes every checked entry under `dir` (which must be new), verifying sizes and CRC-32 as it inflates. */
export async function extractZip(
  zip: Buffer,
  dir: string,
  limits: ZipLimits,
): Promise<{ ok: true; files: string[] } | { ok: false; problem: ZipProblem }> {
  const listed = readZipEntries(zip, limits);
  if (!listed.ok) return listed;
  const files: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const e of listed.entries) {
    const target = join(dir, ...e.path.split("/"));
    if (e.directory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    const raw = zip.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let data: Buffer;
    try {
      data =
        e.method === 0 ? Buffer.from(raw) : inflateRawSync(raw, { maxOutputLength: Math.max(e.size, 1) });
    } catch (err) {
      return {
        ok: false,
        problem: {
          reason: "zip-invalid",
          message: `${e.path} does not inflate to its declared size: ${(err as Error).message}`,
        },
      };
    }
    if (data.length !== e.size)
      return {
        ok: false,
        problem: { reason: "zip-invalid", message: `${e.path} is ${data.length} bytes, declared ${e.size}` },
      };
    if (crc32(data) !== e.crc)
      return { ok: false, problem: { reason: "zip-invalid", message: `${e.path} fails its CRC-32 check` } };
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data, { flag: "wx" });
    files.push(e.path);
  }
  return { ok: true, files };
}

/** Why a zip entry path is unsafe to write under a directory; undefined when it is safe. */
export function unsafePath(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.includes("\0")) return "contains a NUL byte";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "is absolute";
  if (/^[A-Za-z]:/.test(path)) return "starts with a drive letter";
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return "has an empty, '.' or '..' segment";
  }
  return undefined;
}
