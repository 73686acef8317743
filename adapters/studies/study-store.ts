import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { StudySchema, type Study } from "../../core/sweep/study.ts";
import { writeFileAtomic } from "../deploy-local/deploy-state-file.ts";
import { acquireFileLock } from "../registry-common/file-lock.ts";

export const DEFAULT_STUDIES_DIR = ".modelship/studies";
const STUDY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * One study's folder:
 *   study.json     the study (trials, states, per-epoch values), replaced atomically on each change
 *   lock           pid and host of the process running it
 *   logs/<n>.log   each trial worker's output
 *   checkpoints/<n>/  per-epoch checkpoints of running trials (removed when a trial ends)
 */
export function studyPaths(studiesDir: string, name: string) {
  if (!STUDY_NAME.test(name)) {
    throw new ModelshipError({
      code: "study-name-invalid",
      message: `study name '${name}' is not usable as a folder name`,
      hint: "Use letters, digits, '.', '_' or '-' (at most 64 characters), starting with a letter or digit.",
    });
  }
  const dir = join(studiesDir, name);
  return {
    dir,
    study: join(dir, "study.json"),
    lock: join(dir, "lock"),
    log: (n: number) => join(dir, "logs", `${n}.log`),
    checkpoint: (n: number) => join(dir, "checkpoints", String(n)),
  };
}

/** The stored study, or null when there is none yet; a damaged file is an error, never overwritten. */
export async function readStudy(path: string): Promise<Study | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return parseStudy(text, path);
}

/** A study file's text checked against the study schema; `where` names the file in the error. */
export function parseStudy(text: string, where: string): Study {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw damaged(where, (err as Error).message);
  }
  const parsed = StudySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(where, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** The study's JSON as stored, one trailing newline. */
export function studyText(study: Study): string {
  return `${JSON.stringify(study, null, 2)}\n`;
}

function damaged(path: string, detail: string): ModelshipError {
  return new ModelshipError({
    code: "study-file-invalid",
    message: `${path} is not a study file: ${detail}`,
    where: { file: path },
    hint: "Restore it from version control, or start a new study with another --study name.",
  });
}

/** Replaces the study file so that a reader (or a crash) sees the old or the new study, never half. */
export async function writeStudy(path: string, study: Study): Promise<void> {
  await writeFileAtomic(path, studyText(study));
}

/**
 * Takes the study's lock, refusing at once while a live process holds it, on this host or
 * another. A lock left by a process that is gone (same host) is taken over: that is how a crashed
 * study resumes.
 */
export function lockStudy(path: string, now: () => Date): Promise<() => Promise<void>> {
  return acquireFileLock(path, {
    waitMs: 0,
    staleMs: Infinity,
    now,
    held: (holder) =>
      new ModelshipError({
        code: "study-locked",
        message: `the study is being run by ${holder}`,
        where: { file: path },
        hint: "Wait for it to finish, or stop it; if that process is gone for good, delete the lock file.",
      }),
  });
}

/**
 * Reads the study under its lock, lets `update` change it (or create it from null), and writes
 * the result atomically before the lock is released.
 */
export async function updateStudy<T>(
  paths: ReturnType<typeof studyPaths>,
  now: () => Date,
  update: (stored: Study | null) => { study: Study; result: T },
): Promise<T> {
  await mkdir(paths.dir, { recursive: true });
  const unlock = await lockStudy(paths.lock, now);
  try {
    const { study, result } = update(await readStudy(paths.study));
    await writeStudy(paths.study, study);
    return result;
  } finally {
    await unlock();
  }
}
