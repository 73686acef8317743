import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import {
  openGitHubReleasesRegistry,
  type ReleasesRegistryPort,
} from "../../adapters/github/releases-registry.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { ModelSource, PinnedVersion } from "../../core/kubernetes/model-source.ts";
import type { Registry } from "../../core/registry/registry-port.ts";
import { parseTagFormat, renderTag } from "../../core/version/tag-format.ts";

const exec = promisify(execFile);

/** A registry that reads one pinned version from `source`; `close` removes what it fetched to read it. */
export async function openModelSource(
  source: ModelSource,
  pinned: PinnedVersion,
  opts: { token?: string; scratch: string },
): Promise<{ registry: Registry; close: () => Promise<void> }> {
  if (source.registry === "github") {
    const [owner = "", repo = ""] = source.repository.split("/");
    const octokit = new Octokit({ baseUrl: source.apiUrl, ...(opts.token ? { auth: opts.token } : {}) });
    const registry = await openGitHubReleasesRegistry(octokit as unknown as ReleasesRegistryPort, {
      owner,
      repo,
      tagFormat: source.tagFormat,
    });
    return { registry, close: async () => {} };
  }
  const format = parseTagFormat(source.tagFormat);
  if (!format.ok) throw new ModelshipError(format.problems);
  const tag = renderTag(format.format, { name: pinned.name, version: pinned.version });
  if (!tag.ok) throw new ModelshipError(tag.problem);
  const repoDir = await mkdtemp(join(opts.scratch, ".git-fetch-"));
  const close = () => rm(repoDir, { recursive: true, force: true });
  try {
    await exec("git", ["init", "-q", "--bare", repoDir]);
    // Only the version's tag: its commit's tree is the run directory.
    await exec(
      "git",
      [
        "-C",
        repoDir,
        "fetch",
        "-q",
        "--no-tags",
        "--depth=1",
        "--",
        source.url,
        `+refs/tags/${tag.tag}:refs/tags/${tag.tag}`,
      ],
      { env: gitEnv(source.url, opts.token) },
    );
  } catch (err) {
    await close();
    throw new ModelshipError({
      code: "registry-unreachable",
      message: `cannot fetch tag ${tag.tag} from ${source.url}: ${firstLine(err)}`,
      hint: "Check that the pod can reach the git remote and that the version's tag exists there.",
    });
  }
  return { registry: await openGitRegistry({ repoDir, tagFormat: source.tagFormat }), close };
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split("\n").at(-1) ?? "";
}

/**
 * git's environment for the fetch: never a password prompt, and for an HTTP(S) remote with a
 * token (the Secret's, as GITHUB_TOKEN) an Authorization header given through git's environment
 * configuration, so the token is in neither the URL, the command line nor any manifest.
 */
export function gitEnv(url: string, token: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
  if (!token || !/^https?:\/\//.test(url)) return env;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    ...env,
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}
