import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
data: { source: [iris.csv] }
deploy: { port: 0 }
`;

let repo = "";
beforeAll(async () => {
  repo = await makeConfigRepo({ config: CONFIG, prefix: "ms-cli-traffic-" });
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe("traffic strategy commands refuse bad input before starting anything", () => {
  it.each([
    [["deploy", "--ab", "20", "--shadow", "10"], /choose one traffic strategy, got --ab and --shadow/],
    [["deploy", "--canary", "50,10"], /--canary\/--pause: steps weights must increase/],
    [["promote"], /no running router found for production.*\[router-not-running\]/s],
    [["ab", "report", "--json"], /\[router-not-running\]/],
  ])("modelship %j exits 2", async (args, message) => {
    const r = await runCli(args, { cwd: repo });
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\[(option-invalid|router-not-running)\]/);
  });
});
