import { simpleGit } from "simple-git";
import { ModelshipError } from "../../core/errors.ts";
import type { ModelSource } from "../../core/kubernetes/model-source.ts";

const NO_SOURCE_HINT =
  "Push the repository (with its version tags) to a remote named origin the cluster can reach over HTTPS, e.g. `git remote add origin https://github.com/OWNER/REPO.git && git push origin --tags`, or deploy from the deploy workflow.";

/**
 * Where the pods' `fetch-model` init container fetches versions from: the GitHub Releases of
 * GITHUB_REPOSITORY inside a workflow, else the tags of the git registry's `origin` remote.
 * Refuses (model-source-missing, exit 2) when there is neither, since the cluster could not
 * fetch the version.
 */
export async function repositoryModelSource(o: {
  env: NodeJS.ProcessEnv;
  repoDir: string;
  tagFormat: string;
}): Promise<ModelSource> {
  const repository = o.env["GITHUB_REPOSITORY"];
  if (repository) {
    const apiUrl = o.env["GITHUB_API_URL"] || "https://api.github.com";
    return { registry: "github", repository, apiUrl, tagFormat: o.tagFormat };
  }
  const remote = await originUrl(o.repoDir);
  if (remote === null) {
    throw new ModelshipError({
      code: "model-source-missing",
      message: `the cluster cannot fetch the version: GITHUB_REPOSITORY is not set and ${o.repoDir} has no git remote named origin`,
      hint: NO_SOURCE_HINT,
    });
  }
  const url = fetchableUrl(remote);
  if (url === null) {
    throw new ModelshipError({
      code: "model-source-missing",
      message: `the cluster cannot fetch the version from origin '${remote}': a path on this machine is out of the pods' reach`,
      hint: NO_SOURCE_HINT,
    });
  }
  return { registry: "git", url, tagFormat: o.tagFormat };
}

async function originUrl(repoDir: string): Promise<string | null> {
  try {
    const url = (await simpleGit(repoDir).remote(["get-url", "origin"])) ?? "";
    return url.trim() || null;
  } catch {
    return null;
  }
}

/**
 * The remote as a URL the init container can fetch without an SSH key: `git@host:owner/repo.git`
 * and `ssh://git@host/owner/repo.git` become `https://host/owner/repo.git`; HTTP(S) and git://
 * stay, less any user name or password in them (they would end up in the Deployment; a private
 * remote's token goes in the Secret instead); local paths and file:// give null.
 */
export function fetchableUrl(remote: string): string | null {
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+)$/.exec(remote);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return null;
  }
  if (url.protocol === "ssh:") return `https://${url.hostname}${url.pathname}`;
  if (!["https:", "http:", "git:"].includes(url.protocol)) return null;
  if (url.username === "" && url.password === "") return remote;
  url.username = "";
  url.password = "";
  return url.href;
}
