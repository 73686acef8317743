import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import yauzl, { type Entry, type ZipFile } from "yauzl";

export type ZipLimits = { maxBytes: number; maxEntries: number };

export type ZipProblem = { reason: "zip-invalid" | "zip-unsafe-entry" | "zip-too-large"; message: string };

type Checked = { entry: Entry; path: string; directory: boolean };
type Listed = { ok: true; zip: ZipFile; entries: Checked[] } | { ok: false; problem: ZipProblem };

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const MADE_BY_UNIX = 3;

const invalid = (message: string) => ({
  ok: false as const,
  problem: { reason: "zip-invalid" as const, message },
});
const unsafe = (message: string) => ({
  ok: false as const,
  problem: { reason: "zip-unsafe-entry" as const, message },
});
const tooLarge = (message: string) => ({
  ok: false as const,
  problem: { reason: "zip-too-large" as const, message },
});

/**
 * Writes every entry of a zip archive under `dir` (which must be new) after checking them all:
 * no absolute or `..` paths, no backslashes or drive letters, no links or devices, no
 * encryption, only stored or deflated data, declared sizes within the limits. yauzl reads the
 * archive (zip64 included) and checks each entry's inflated size against the declared one; the
 * CRC-32 is checked here.
 */
export async function extractZip(
  data: Buffer,
  dir: string,
  limits: ZipLimits,
): Promise<{ ok: true; files: string[] } | { ok: false; problem: ZipProblem }> {
  const listed = await listZip(data, limits);
  if (!listed.ok) return listed;
  const files: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const { entry, path, directory } of listed.entries) {
    const target = join(dir, ...path.split("/"));
    if (directory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    const content = await readEntry(listed.zip, entry);
    if (!content.ok) return invalid(`${path} ${content.message}`);
    if (crc32(content.data) !== entry.crc32) return invalid(`${path} fails its CRC-32 check`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content.data, { flag: "wx" });
    files.push(path);
  }
  return { ok: true, files };
}

async function listZip(data: Buffer, limits: ZipLimits): Promise<Listed> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    return invalid(`not a readable zip archive: ${(err as Error).message}`);
  }
  if (zip.entryCount > limits.maxEntries)
    return tooLarge(`${zip.entryCount} entries, more than ${limits.maxEntries}`);
  const entries: Checked[] = [];
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const checked = checkEntry(entry, seen);
      if (!checked.ok) return checked;
      total += entry.uncompressedSize;
      if (total > limits.maxBytes)
        return tooLarge(`the archive expands to more than ${limits.maxBytes} bytes`);
      entries.push(checked.value);
    }
  } catch (err) {
    return invalid(`corrupt central directory: ${(err as Error).message}`);
  }
  // A file that is also used as a directory (a/b and a/b/c) cannot be written safely.
  const directories = new Set(entries.flatMap((e) => parentsOf(e.path)));
  const clash = entries.find((e) => !e.directory && directories.has(e.path));
  if (clash !== undefined) return unsafe(`${clash.path} is both a file and a directory`);
  return { ok: true, zip, entries };
}

function checkEntry(
  entry: Entry,
  seen: Set<string>,
): { ok: true; value: Checked } | { ok: false; problem: ZipProblem } {
  const raw = yauzl.getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    entry.fileNameRaw,
    entry.extraFields,
    true,
  );
  const directory = raw.endsWith("/");
  const path = directory ? raw.slice(0, -1) : raw;
  const why = unsafePath(path);
  if (why !== undefined) return unsafe(`${JSON.stringify(raw)} ${why}`);
  if (entry.isEncrypted()) return unsafe(`${path} is encrypted`);
  const unix = entry.versionMadeBy >> 8 === MADE_BY_UNIX;
  const mode = unix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) return unsafe(`${path} is a link or special file`);
  if (mode === S_IFDIR && !directory) return unsafe(`${path} is a directory without a trailing slash`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    return invalid(`${path} uses compression method ${entry.compressionMethod}`);
  if (seen.has(path)) return unsafe(`${path} appears twice`);
  seen.add(path);
  return { ok: true, value: { entry, path, directory } };
}

async function readEntry(
  zip: ZipFile,
  entry: Entry,
): Promise<{ ok: true; data: Buffer } | { ok: false; message: string }> {
  try {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { ok: true, data: Buffer.concat(chunks) };
  } catch (err) {
    return { ok: false, message: `does not inflate to its declared size: ${(err as Error).message}` };
  }
}

function parentsOf(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Why a zip entry path is unsafe to write under a directory; undefined when it is safe. */
function unsafePath(path: string): string | undefined {
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
