import { simpleGit } from "simple-git";

const IDENTITY_ENV = [
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_COMMITTER_DATE",
] as const;

const PASS_ENV = [
  "PATH",
  "HOME",
  "USERPROFILE",
  "XDG_CONFIG_HOME",
  "SystemRoot",
  "TMPDIR",
  "TEMP",
  "TMP",
  "LANG",
  "LC_ALL",
];

export type GitIdentity = { name: string; email: string };

/** The few plumbing calls the registry makes, each one git process, with optional stdin. */
export type Plumbing = {
  raw(
    args: string[],
    opts?: { input?: string | Buffer; identity?: GitIdentity; now?: Date },
  ): Promise<string>;
  blob(oid: string): Promise<Buffer>;
};

/** Plumbing on `repoDir` through simple-git; ambient GIT_* variables never leak in (simple-git strips them). */
export function createPlumbing(repoDir: string): Plumbing {
  const base = () => ({ baseDir: repoDir, allowEnvironment: [...IDENTITY_ENV] as string[] });
  return {
    async raw(args, opts = {}) {
      const { input } = opts;
      const git = simpleGit({ ...base(), ...(input !== undefined ? { input: () => input } : {}) });
      if (opts.identity && opts.now) {
        // Dates from `now` so a registration is reproducible and testable, not the wall clock.
        const date = `${Math.floor(opts.now.getTime() / 1000)} +0000`;
        // A minimal environment: simple-git refuses variables such as EDITOR when passed explicitly.
        const env: Record<string, string> = {};
        for (const k of PASS_ENV) {
          const v = process.env[k];
          if (v !== undefined) env[k] = v;
        }
        Object.assign(env, {
          GIT_AUTHOR_NAME: opts.identity.name,
          GIT_AUTHOR_EMAIL: opts.identity.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: opts.identity.name,
          GIT_COMMITTER_EMAIL: opts.identity.email,
          GIT_COMMITTER_DATE: date,
        });
        return git.env(env).raw(args);
      }
      return git.raw(args);
    },
    async blob(oid) {
      return simpleGit(base()).binaryCatFile(["blob", oid]);
    },
  };
}
