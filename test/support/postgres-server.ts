import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.ts";

const run = promisify(execFile);

/** Debian's PostgreSQL 15 (`.ci/run` installs the `postgresql` package). */
export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const HAS_POSTGRES = existsSync(join(PG_BIN, "initdb")) && existsSync(join(PG_BIN, "pg_ctl"));

export type PostgresServer = { url: string; stop(): Promise<void> };

/**
 * PostgreSQL refuses to run as root, and tests here (and on CI) run as root: then initdb and
 * pg_ctl run as the `postgres` user the Debian package creates (else `nobody`) through
 * `runuser`, in a temporary directory handed to that user.
 */
async function asUser(): Promise<{ uid: number; gid: number; name: string } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number((await run("id", ["-u", name])).stdout.trim());
      const gid = Number((await run("id", ["-g", name])).stdout.trim());
      return { uid, gid, name };
    } catch {
      // try the next one
    }
  }
  throw new Error("running as root and neither a postgres nor a nobody user exists to run PostgreSQL");
}

/** A real PostgreSQL on a free loopback port (trust auth, fsync off), stopped and removed by `stop`. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), "modelship-pg-"));
  const user = await asUser();
  if (user) await chown(dir, user.uid, user.gid);
  const exec = (bin: string, args: string[]) =>
    user ? run("runuser", ["-u", user.name, "--", join(PG_BIN, bin), ...args]) : run(join(PG_BIN, bin), args);
  const data = join(dir, "data");
  const port = await freePort();
  await exec("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--no-sync",
    "--no-instructions",
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  try {
    await exec("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "-t", "60", "start"]);
  } catch (err) {
    const log = await readFile(join(dir, "log"), "utf8").catch(() => "");
    await rm(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start: ${(err as Error).message}\n${log}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
