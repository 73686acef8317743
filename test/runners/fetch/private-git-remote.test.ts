import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchableUrl } from "../../../adapters/deploy-kubernetes/repository-model-source.ts";
import { openGitRegistry } from "../../../adapters/registry-git/git-registry.ts";
import { renderFetchEnv, type ModelSource } from "../../../core/kubernetes/model-source.ts";
import type { ModelVersion } from "../../../core/registry/registry-port.ts";
import { git, makeRepo, makeRunDir, tempDir } from "../../adapters/registry-git/git-fixtures.ts";
import { runCli } from "../../cli/run-cli.ts";

const TAGS = "model/{name}/v{version}";
const TOKEN = "ghp_private-remote-token-0123456789";
const dirs: string[] = [];
let server: Server;
let url: string;
let version: ModelVersion;
let requests: Array<{ path: string; authorized: boolean }>;

/**
 * A private git remote over HTTP: git's own `git http-backend` (smart HTTP, as a CGI program)
 * behind Basic authentication that accepts only the token, as GitHub takes `x-access-token:TOKEN`.
 */
function serveGit(projectRoot: string): Server {
  const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`;
  return createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://git");
    const authorized = req.headers.authorization === expected;
    requests.push({ path: u.pathname, authorized });
    if (!authorized) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end("authentication required\n");
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: u.pathname,
        QUERY_STRING: u.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let sent = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (sent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      const status = Number((headers["status"] ?? "200").split(" ")[0]);
      delete headers["status"];
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
      sent = true;
    });
    cgi.on("close", () => res.end());
  });
}

beforeAll(async () => {
  const repo = await makeRepo({ commit: true });
  dirs.push(repo);
  const head = await git(repo, ["rev-parse", "HEAD"]);
  const run = await makeRunDir({
    runId: "run-1",
    commit: head,
    branch: "main",
    model: Buffer.from("onnx v1"),
  });
  dirs.push(run);
  const registry = await openGitRegistry({ repoDir: repo, tagFormat: TAGS });
  ({ version } = await registry.register({
    runDir: run,
    name: "iris",
    bump: "minor",
    now: new Date("2026-03-01T12:00:00Z"),
  }));
  server = serveGit(dirname(repo));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${repo.split("/").at(-1)}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function fetchWith(token: string | undefined) {
  requests = [];
  const work = await tempDir("modelship-private-");
  dirs.push(work);
  const source: ModelSource = { registry: "git", url, tagFormat: TAGS };
  const env = Object.fromEntries(
    renderFetchEnv(source, { name: "iris", version: version.version, artifacts: version.artifacts }).map(
      (e) => [e.name, e.value],
    ),
  );
  // The token arrives as the init container gets it: GITHUB_TOKEN from the Secret, nothing in the URL.
  const r = await runCli(["fetch-model", "--dir", join(work, "models")], {
    cwd: work,
    env: { ...env, GITHUB_TOKEN: token ?? "", GIT_ASKPASS: "", SSH_ASKPASS: "" },
    timeoutMs: 60_000,
  });
  return { ...r, left: await readdir(join(work, "models")).catch(() => []) };
}

describe("fetch-model from a private git remote over HTTP", () => {
  it("fetches and verifies the version with the Secret's token, sent only as a header", async () => {
    const r = await fetchWith(TOKEN);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("verified");
    expect(r.left).toEqual(["iris"]);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((q) => q.authorized)).toBe(true);
  });

  it.each([
    ["no token", undefined],
    ["a wrong token", "ghp_wrong"],
  ])("refuses with registry-unreachable and no prompt given %s", async (_name, token) => {
    const r = await fetchWith(token);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[registry-unreachable]");
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.left).toEqual([]);
  });
});

describe("fetchableUrl", () => {
  it.each([
    ["git@github.com:acme/iris.git", "https://github.com/acme/iris.git"],
    ["ssh://git@github.com/acme/iris.git", "https://github.com/acme/iris.git"],
    ["https://github.com/acme/iris.git", "https://github.com/acme/iris.git"],
    // Credentials in a remote would end up in the Deployment: they are dropped.
    [`https://x-access-token:${TOKEN}@github.com/acme/iris.git`, "https://github.com/acme/iris.git"],
    ["http://bot@git.example.com:8080/ml/iris.git", "http://git.example.com:8080/ml/iris.git"],
    ["/srv/git/iris.git", null],
    ["file:///srv/git/iris.git", null],
  ])("%s → %s", (remote, want) => {
    expect(fetchableUrl(remote)).toBe(want);
  });
});
