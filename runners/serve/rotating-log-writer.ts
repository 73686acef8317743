import { close, fstat, open, write } from "node:fs";
import { appendFile, mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/** The file operations the writer needs; tests hand in ones that fail the way a full disk does. */
export type LogFiles = {
  mkdir(dir: string): Promise<void>;
  /** Files directly in `dir`, with their sizes in bytes. */
  list(dir: string): Promise<Array<{ name: string; size: number }>>;
  append(file: string, bytes: Uint8Array): Promise<void>;
  remove(file: string): Promise<void>;
  /** Lets go of what appends keep open (the writer's last call). */
  close?(): Promise<void>;
};

/** `LogFiles` on the local file system. */
export const nodeLogFiles: LogFiles = {
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  list: async (dir) => {
    const names = await readdir(dir);
    const out: Array<{ name: string; size: number }> = [];
    for (const name of names) {
      try {
        const s = await stat(join(dir, name));
        if (s.isFile()) out.push({ name, size: s.size });
      } catch {
        // Removed between readdir and stat (by another server sharing the folder): nothing to count.
      }
    }
    return out;
  },
  append: (file, bytes) => appendFile(file, bytes),
  remove: (file) => rm(file, { force: true }),
};

const openFd = promisify(open);
const closeFd = promisify(close);
const fstatFd = promisify(fstat);
const writeFd = promisify(write);

/**
 * `LogFiles` on the local file system that keeps the file it appends to open from one append to
 * the next: a write per batch rather than an open, a write and a close. Before each append it
 * checks that the open file still has a name (was not deleted, with its folder or by a server
 * sharing the folder); if not, it opens the name again, so the append fails (ENOENT) or makes a
 * new file, as a plain append by name would.
 */
export function createNodeLogFiles(): LogFiles {
  let held: { file: string; fd: number } | undefined;
  async function release(): Promise<void> {
    const h = held;
    held = undefined;
    if (h !== undefined) await closeFd(h.fd).catch(() => undefined);
  }
  return {
    ...nodeLogFiles,
    async append(file, bytes) {
      if (held !== undefined && (held.file !== file || (await fstatFd(held.fd)).nlink === 0)) await release();
      held ??= { file, fd: await openFd(file, "a") };
      for (let at = 0; at < bytes.byteLength;) {
        at += (await writeFd(held.fd, bytes, at, bytes.byteLength - at)).bytesWritten;
      }
    },
    close: release,
  };
}

export type RotatingLogWriterOptions = {
  dir: string;
  /** A file is closed and a new one started before it would grow past this many bytes. */
  rotateBytes: number;
  /** Most bytes all log files in `dir` may hold together; the oldest are deleted to stay under it. */
  maxBytes: number;
  /** Names start with this time, so name order is age order across processes. */
  now: () => Date;
  /** Keeps names of servers started in the same millisecond apart. */
  pid: number;
  files?: LogFiles;
  /** Called after files were deleted to keep under `maxBytes`. */
  onDeleted?: (count: number) => void;
};

/** Whole lines, one after the other, in one buffer: `ends[i]` is the offset just past line i's "\n". */
export type LineBatch = { bytes: Uint8Array; ends: readonly number[] };

export type RotatingLogWriter = {
  /**
   * Appends whole lines (the UTF-8 bytes of lines ending in "\n"). On a file system error it throws
   * a LogWriteError saying how many of the lines had been written before it.
   */
  write(batches: readonly LineBatch[]): Promise<void>;
  /** Bytes the log files in the folder held after the last write. */
  diskBytes(): number;
  /** Closes the open file; call once no write runs. */
  close(): Promise<void>;
};

/** A failed append, with the number of lines of the same `write` that reached the disk before it. */
export class LogWriteError extends Error {
  readonly written: number;
  readonly code: string;
  constructor(cause: unknown, written: number) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "LogWriteError";
    this.written = written;
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code ?? "unknown";
  }
}

const LOG_FILE = /^predictions-.*\.jsonl$/;

/**
 * JSON-lines files in one folder, rotated by size, with the folder's total bounded: before a new
 * file starts, the oldest `predictions-*.jsonl` files are deleted until the closed files plus one
 * full new file fit in `maxBytes`. Only files with that name pattern are ever deleted.
 */
export function createRotatingLogWriter(o: RotatingLogWriterOptions): RotatingLogWriter {
  const files = o.files ?? createNodeLogFiles();
  let current: string | undefined;
  let currentBytes = 0;
  let closedBytes = 0;
  let seq = 0;

  async function startFile(): Promise<void> {
    await files.mkdir(o.dir);
    const logs = (await files.list(o.dir)).filter((f) => LOG_FILE.test(f.name)).sort(byName);
    let total = logs.reduce((n, f) => n + f.size, 0);
    let deleted = 0;
    while (logs.length > 0 && total + o.rotateBytes > o.maxBytes) {
      const oldest = logs.shift()!;
      await files.remove(join(o.dir, oldest.name));
      total -= oldest.size;
      deleted++;
    }
    if (deleted > 0) o.onDeleted?.(deleted);
    closedBytes = total;
    seq++;
    const stamp = o.now().toISOString().replace(/:/g, "-");
    current = join(o.dir, `predictions-${stamp}-${o.pid}-${String(seq).padStart(4, "0")}.jsonl`);
    currentBytes = 0;
  }

  async function append(parts: readonly Uint8Array[], bytes: number): Promise<void> {
    await files.append(current!, parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes));
    currentBytes += bytes;
  }

  return {
    async write(batches) {
      let chunk: Uint8Array[] = [];
      let chunkBytes = 0;
      let chunkLines = 0;
      let written = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await append(chunk, chunkBytes);
        written += chunkLines;
        chunk = [];
        chunkBytes = 0;
        chunkLines = 0;
      };
      try {
        // The usual case: the whole batch fits in the current file, one byte count and one append.
        const bytes = batches.reduce((n, b) => n + b.bytes.byteLength, 0);
        if (bytes === 0) return;
        if (current === undefined) await startFile();
        if (currentBytes + bytes <= o.rotateBytes) {
          await append(
            batches.map((b) => b.bytes),
            bytes,
          );
          return;
        }
        for (const line of linesOf(batches)) {
          const bytes = line.byteLength;
          if (current === undefined || currentBytes + chunkBytes + bytes > o.rotateBytes) {
            await flush();
            if (current === undefined || currentBytes > 0) await startFile();
          }
          chunk.push(line);
          chunkBytes += bytes;
          chunkLines++;
        }
        await flush();
      } catch (err) {
        // Part of a chunk may have landed: start a new file, so no record follows a torn line.
        current = undefined;
        throw new LogWriteError(err, written);
      }
    },
    diskBytes: () => closedBytes + currentBytes,
    close: async () => {
      await files.close?.();
    },
  };
}

function* linesOf(batches: readonly LineBatch[]): Generator<Uint8Array> {
  for (const { bytes, ends } of batches) {
    let start = 0;
    for (const end of ends) {
      yield bytes.subarray(start, end);
      start = end;
    }
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
