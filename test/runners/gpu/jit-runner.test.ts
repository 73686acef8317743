import { spawn } from "node:child_process";
import { createVerify, generateKeyPairSync } from "node:crypto";
import { chmod, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appInstallationToken } from "../../../runners/gpu/app-token.ts";
import { deleteRunner, generateJitConfig } from "../../../runners/gpu/generate-jitconfig.ts";
import type { GitHubHttp } from "../../../runners/gpu/github-http.ts";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";

const MAIN = fileURLToPath(new URL("../../../runners/gpu/main.ts", import.meta.url));

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
  gh.repo("acme", "models");
});
afterAll(async () => {
  await gh.close();
});

const http = (token = "ghp_admin"): GitHubHttp => ({
  apiUrl: gh.url,
  fetch: globalThis.fetch,
  token: async () => token,
});

describe("generateJitConfig against GitHub's API description", () => {
  it("registers a repository runner with the labels, group and work folder", async () => {
    const before = gh.calls.length;
    const cfg = await generateJitConfig(http(), {
      scope: { owner: "acme", repo: "models" },
      name: "gpu-box-1a2b",
      runnerGroupId: 1,
      labels: ["self-hosted", "linux", "x64", "gpu"],
      workFolder: "_work",
    });
    expect(gh.invalid).toEqual([]);
    expect(gh.calls.slice(before)).toEqual([
      expect.objectContaining({
        operationId: "actions/generate-runner-jitconfig-for-repo",
        method: "POST",
        path: "/repos/acme/models/actions/runners/generate-jitconfig",
        body: {
          name: "gpu-box-1a2b",
          runner_group_id: 1,
          labels: ["self-hosted", "linux", "x64", "gpu"],
          work_folder: "_work",
        },
        status: 201,
      }),
    ]);
    expect(cfg.name).toBe("gpu-box-1a2b");
    expect(JSON.parse(Buffer.from(cfg.encodedJitConfig, "base64").toString())).toMatchObject({
      labels: expect.arrayContaining(["gpu"]),
    });
    await deleteRunner(http(), { owner: "acme", repo: "models" }, cfg.runnerId);
    expect(gh.calls.at(-1)).toMatchObject({
      operationId: "actions/delete-self-hosted-runner-from-repo",
      method: "DELETE",
    });
  });

  it("registers an organisation runner", async () => {
    const cfg = await generateJitConfig(http(), {
      scope: { org: "acme" },
      name: "gpu-org-1",
      runnerGroupId: 3,
      labels: ["gpu"],
      workFolder: "_work",
    });
    expect(cfg.runnerId).toBeGreaterThan(0);
    expect(gh.calls.at(-1)).toMatchObject({
      operationId: "actions/generate-runner-jitconfig-for-org",
      body: expect.objectContaining({ runner_group_id: 3 }),
    });
  });

  it.each([
    ["no labels (GitHub requires at least one)", { labels: [] as string[] }, "jitconfig-rejected"],
    ["an unknown repository", { scope: { owner: "acme", repo: "nope" } }, "jitconfig-not-found"],
  ])("fails with a reason code on %s", async (_what, patch, code) => {
    const req = {
      scope: { owner: "acme", repo: "models" },
      name: "gpu-x",
      runnerGroupId: 1,
      labels: ["gpu"],
      workFolder: "_work",
      ...patch,
    };
    await expect(generateJitConfig(http(), req)).rejects.toMatchObject({ code });
  });
});

describe("GitHub App installation tokens", () => {
  it("signs an RS256 JWT, mints a token once and reuses it until near expiry", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const seen: string[] = [];
    const fetchSpy: typeof fetch = async (input, init) => {
      seen.push(String(new Headers(init?.headers).get("authorization")));
      return globalThis.fetch(input, init);
    };
    let now = new Date();
    const invalidBefore = gh.invalid.length;
    const token = appInstallationToken({
      http: { apiUrl: gh.url, fetch: fetchSpy },
      appId: "12345",
      privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      installationId: 42,
      now: () => now,
    });
    const first = await token();
    expect(first).toMatch(/^ghs_/);
    expect(await token()).toBe(first);
    expect(seen).toHaveLength(1);
    const jwt = seen[0]!.replace(/^Bearer /, "");
    const [header, payload, signature] = jwt.split(".");
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" });
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as {
      iss: string;
      iat: number;
      exp: number;
    };
    expect(claims.iss).toBe("12345");
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
    expect(
      createVerify("RSA-SHA256")
        .update(`${header}.${payload}`)
        .verify(publicKey, Buffer.from(signature!, "base64url")),
    ).toBe(true);

    now = new Date(now.getTime() + 56 * 60_000);
    expect(await token()).not.toBe(first);
    expect(seen).toHaveLength(2);
    // The minted token registers a runner.
    const cfg = await generateJitConfig(
      { apiUrl: gh.url, fetch: globalThis.fetch, token },
      {
        scope: { owner: "acme", repo: "models" },
        name: "gpu-app-1",
        runnerGroupId: 1,
        labels: ["gpu"],
        workFolder: "_work",
      },
    );
    expect(cfg.name).toBe("gpu-app-1");
    expect(gh.invalid.slice(invalidBefore)).toEqual([]);
  });
});

/** A stand-in for the Actions runner's run.sh: records what it was given, then acts as told. */
async function fakeRunnerDir(behaviour: "exit" | "wait-for-term"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-runner-"));
  const body =
    behaviour === "exit"
      ? "exit 0"
      : 'trap \'echo term > "$DIR/term-$$"; exit 0\' TERM\necho started > "$DIR/started-$$"\nwhile true; do sleep 0.1; done';
  await writeFile(
    join(dir, "run.sh"),
    `#!/usr/bin/env bash\nDIR="$(cd "$(dirname "$0")" && pwd)"\nenv > "$DIR/env-$$"\necho "$*" > "$DIR/args-$$"\n${body}\n`,
  );
  await chmod(join(dir, "run.sh"), 0o755);
  return dir;
}

function startMain(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: tmpdir(), GITHUB_API_URL: gh.url, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, done, stderr: () => stderr };
}

async function filesStarting(dir: string, prefix: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
  return Promise.all(names.map((n) => readFile(join(dir, n), "utf8")));
}

describe("runners/gpu/main.ts, run as a process", () => {
  it("runs one fresh just-in-time runner per job and never hands its credentials to the job", async () => {
    const dir = await fakeRunnerDir("exit");
    const before = gh.callsTo("actions/generate-runner-jitconfig-for-repo").length;
    const invalidBefore = gh.invalid.length;
    const run = startMain(
      [
        "--repo",
        "acme/models",
        "--runner-dir",
        dir,
        "--max-jobs",
        "2",
        "--no-gpu-check",
        "--name-prefix",
        "h100-a",
      ],
      {
        MODELSHIP_RUNNER_TOKEN: "ghp_secret_admin_token",
      },
    );
    expect(await run.done, run.stderr()).toBe(0);
    const calls = gh.callsTo("actions/generate-runner-jitconfig-for-repo").slice(before);
    expect(calls).toHaveLength(2);
    const names = calls.map((c) => (c.body as { name: string }).name);
    expect(new Set(names).size).toBe(2);
    for (const c of calls)
      expect(c.body).toMatchObject({
        name: expect.stringMatching(/^h100-a-[0-9a-f]{8}$/),
        labels: ["self-hosted", "linux", "x64", "gpu"],
        runner_group_id: 1,
        work_folder: "_work",
      });
    expect(gh.invalid.slice(invalidBefore)).toEqual([]);

    const envs = await filesStarting(dir, "env-");
    expect(envs).toHaveLength(2);
    const configs = envs.map((e) => /^ACTIONS_RUNNER_INPUT_JITCONFIG=(.*)$/m.exec(e)?.[1]);
    const decoded = configs.map(
      (c) => JSON.parse(Buffer.from(c ?? "", "base64").toString()) as { runner: string },
    );
    expect(decoded.map((d) => d.runner).sort()).toEqual([...names].sort());
    for (const e of envs) expect(e).not.toContain("ghp_secret_admin_token");
    expect(await filesStarting(dir, "args-")).toEqual(["\n", "\n"]);
  });

  it("does not register while nvidia-smi finds no GPU, and stops on SIGTERM", async () => {
    const dir = await fakeRunnerDir("exit");
    const bin = await mkdtemp(join(tmpdir(), "ms-bin-"));
    await writeFile(
      join(bin, "nvidia-smi"),
      "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2\nexit 9\n",
    );
    await chmod(join(bin, "nvidia-smi"), 0o755);
    const before = gh.calls.length;
    const run = startMain(["--repo", "acme/models", "--runner-dir", dir], {
      MODELSHIP_RUNNER_TOKEN: "t",
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    });
    await waitFor(() => run.stderr().includes("GPU check failed"));
    run.child.kill("SIGTERM");
    expect(await run.done).toBe(0);
    expect(gh.calls.slice(before)).toEqual([]);
  });

  it("passes SIGTERM to a runner waiting for a job, then removes its registration", async () => {
    const dir = await fakeRunnerDir("wait-for-term");
    const bin = await mkdtemp(join(tmpdir(), "ms-bin-"));
    await writeFile(
      join(bin, "nvidia-smi"),
      "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)'\n",
    );
    await chmod(join(bin, "nvidia-smi"), 0o755);
    const run = startMain(["--repo", "acme/models", "--runner-dir", dir], {
      MODELSHIP_RUNNER_TOKEN: "t",
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    });
    await waitFor(async () => (await filesStarting(dir, "started-")).length === 1);
    const deletesBefore = gh.callsTo("actions/delete-self-hosted-runner-from-repo").length;
    run.child.kill("SIGTERM");
    expect(await run.done, run.stderr()).toBe(0);
    expect(await filesStarting(dir, "term-")).toEqual(["term\n"]);
    expect(gh.callsTo("actions/delete-self-hosted-runner-from-repo").length).toBe(deletesBefore + 1);
  });

  it.each([
    [["--runner-dir", "/nonexistent"], "give exactly one of --repo OWNER/REPO or --org ORG"],
    [["--repo", "acme/models", "--runner-dir", "/nonexistent"], "/nonexistent/run.sh not found"],
  ])("refuses %j with a usage error", async (args, message) => {
    const run = startMain(args, { MODELSHIP_RUNNER_TOKEN: "t" });
    expect(await run.done).toBe(2);
    expect(run.stderr()).toContain(message);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}
