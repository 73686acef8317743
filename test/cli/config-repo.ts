import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * A git repository with an identity and one commit holding `.github/modelship.yml` (and any other
 * files given, by path relative to the repository): what the CLI tests run commands in.
 */
export async function makeConfigRepo(opts: {
  config: string;
  prefix?: string;
  dir?: string;
  files?: Record<string, string>;
}): Promise<string> {
  const repo = opts.dir ?? (await mkdtemp(join(tmpdir(), opts.prefix ?? "ms-cli-")));
  const files = { ".github/modelship.yml": opts.config, ...opts.files };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), text);
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo });
  git("init", "-q");
  git("config", "user.email", "t@example.com");
  git("config", "user.name", "Test");
  git("add", ".");
  git("commit", "-qm", "init");
  return repo;
}
