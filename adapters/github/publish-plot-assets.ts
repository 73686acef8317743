import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { commitToBranch, type BranchGitPort } from "./commit-to-branch.ts";
import { httpStatus } from "./http-status.ts";

/** The branch that holds report images; never merged, one commit per published report. */
export const ASSETS_BRANCH = "modelship-assets";

/** The Git database calls publishing images needs. */
export type AssetsGitPort = BranchGitPort & {
  rest: {
    git: {
      createBlob(p: {
        owner: string;
        repo: string;
        content: string;
        encoding: "base64";
      }): Promise<{ data: { sha: string } }>;
    };
  };
};

/** The folder of one report's images on the assets branch: `pr-<number>/<run id>`, a safe path. */
export function assetsFolder(pr: number, runId: string): string {
  return `pr-${pr}/${runId.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_")}`;
}

export type PublishedPlots =
  | { ok: true; images: Array<{ title: string; url: string; href?: string }>; commit: string }
  | { ok: false; reason: "assets-forbidden" | "assets-failed"; message: string };

/**
 * Commits the run's PNG plots (and their SVGs) to the `modelship-assets` branch under `folder/` and returns links
 * that GitHub serves from the repository itself (`/blob/<commit>/<path>?raw=true`), so a private
 * repository's images are shown only to people who can read it. Never throws for GitHub's answers:
 * the caller falls back to the Mermaid charts.
 */
export async function publishPlotAssets(
  octokit: AssetsGitPort,
  opts: {
    owner: string;
    repo: string;
    /** GitHub's web origin, e.g. https://github.com. */
    serverUrl: string;
    folder: string;
    runDir: string;
    /** PNG (and SVG) paths relative to `runDir`; an SVG is committed too and the image links to it. */
    plots: ReadonlyArray<{ title: string; png: string; svg?: string }>;
    message: string;
  },
): Promise<PublishedPlots> {
  const r = { owner: opts.owner, repo: opts.repo };
  const target = (file: string): string => `${opts.folder}/${file.replace(/^plots\//, "")}`;
  try {
    const entries: Array<{ path: string; sha: string }> = [];
    for (const file of opts.plots.flatMap((p) => [p.png, ...(p.svg ? [p.svg] : [])])) {
      const bytes = await readFile(join(opts.runDir, file));
      const { data } = await octokit.rest.git.createBlob({
        ...r,
        content: bytes.toString("base64"),
        encoding: "base64",
      });
      entries.push({ path: target(file), sha: data.sha });
    }
    const commit = {
      sha: await commitToBranch(octokit, {
        ...r,
        branch: ASSETS_BRANCH,
        files: entries,
        message: opts.message,
      }),
    };
    const base = `${opts.serverUrl.replace(/\/+$/, "")}/${encodeURIComponent(opts.owner)}/${encodeURIComponent(opts.repo)}/blob/${commit.sha}`;
    const link = (file: string): string =>
      `${base}/${target(file).split("/").map(encodeURIComponent).join("/")}?raw=true`;
    return {
      ok: true,
      commit: commit.sha,
      images: opts.plots.map((p) => ({
        title: p.title,
        url: link(p.png),
        ...(p.svg ? { href: link(p.svg) } : {}),
      })),
    };
  } catch (err) {
    const status = httpStatus(err);
    const forbidden = status === 403 || status === 404;
    return {
      ok: false,
      reason: forbidden ? "assets-forbidden" : "assets-failed",
      message: forbidden
        ? `cannot write the ${ASSETS_BRANCH} branch (HTTP ${status}); give the workflow \`contents: write\` to show images`
        : `could not publish the plots: ${(err as Error).message}`,
    };
  }
}
