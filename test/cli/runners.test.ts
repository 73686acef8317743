import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/fake-github.ts";
import { runCli } from "./run-cli.ts";

const GPU = ["self-hosted", "linux", "x64", "gpu"];
let gh: FakeGitHub;
let cwd: string;
beforeAll(async () => {
  gh = await startFakeGitHub();
  gh.repo("acme", "models").runners = [
    { id: 1, name: "h100-a", os: "linux", status: "online", busy: true, labels: GPU },
    {
      id: 2,
      name: "cpu-1",
      os: "linux",
      status: "online",
      busy: false,
      labels: ["self-hosted", "linux", "x64"],
    },
  ];
  gh.repo("acme", "queued").runners = [
    { id: 3, name: "h100-b", os: "linux", status: "offline", busy: false, labels: GPU },
  ];
  cwd = await mkdtemp(join(tmpdir(), "ms-runners-"));
});
afterAll(() => gh.close());

const env = () => ({ GITHUB_API_URL: gh.url, GITHUB_TOKEN: "ghp_test" });

describe("modelship runners check", () => {
  it("names the online runners that carry every label (the config's default labels)", async () => {
    const r = await runCli(["runners", "check", "--repo", "acme/models"], { cwd, env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "online runners with self-hosted, gpu:\n  h100-a (repository, busy: self-hosted, linux, x64, gpu)",
    );
    expect(gh.invalid).toEqual([]);
  });

  it("exits 1 and says a job would wait when only an offline runner matches", async () => {
    const r = await runCli(
      ["runners", "check", "--repo", "acme/queued", "--labels", "self-hosted,gpu", "--json"],
      { cwd, env: env() },
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: "none-online",
      labels: ["self-hosted", "gpu"],
      offline: [{ name: "h100-b" }],
    });
  });

  it("refuses to run without a token", async () => {
    const r = await runCli(["runners", "check", "--repo", "acme/models"], {
      cwd,
      env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: "", GH_TOKEN: "" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[runners-no-token]");
  });
});
