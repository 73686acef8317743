import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runCli } from "../cli/run-cli.ts";

const run = promisify(execFile);
const DIR = join(import.meta.dirname, "..", "..", "templates", "monitoring");
const PROMTOOL = "/usr/bin/promtool";

type Rule = { alert: string; expr: string; annotations: Record<string, string> };
type RulesFile = { groups: Array<{ rules: Rule[] }> };
type TestsFile = {
  tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
};

async function promtool(...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(PROMTOOL, args, { cwd: DIR });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

let alerts: Rule[];
let tests: TestsFile;
let work: string;

beforeAll(async () => {
  const rules = parse(await readFile(join(DIR, "alerts.yml"), "utf8")) as RulesFile;
  alerts = rules.groups.flatMap((g) => g.rules);
  tests = parse(await readFile(join(DIR, "alerts.test.yml"), "utf8")) as TestsFile;
  work = await mkdtemp(join(tmpdir(), "modelship-rules-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("templates/monitoring alert rules with the real promtool", () => {
  it("has the alerts the dashboard documents, each with a summary and runbook text", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      "ModelshipDatasetDrift",
      "ModelshipHighErrorRate",
      "ModelshipHighLatencyP99",
      "ModelshipNoTraffic",
      "ModelshipPredictionLogDropping",
      "ModelshipRolloutFailed",
    ]);
    for (const a of alerts) {
      expect(a.annotations.summary, a.alert).toBeTruthy();
      expect(a.annotations.runbook?.length, a.alert).toBeGreaterThan(100);
    }
  });

  it("passes promtool check rules and check config", async () => {
    const rules = await promtool("check", "rules", "alerts.yml");
    expect(rules.out).toMatch(/SUCCESS: 6 rules found/);
    expect(rules.ok).toBe(true);
    const config = await promtool("check", "config", "prometheus.yml");
    expect(config.out).toMatch(/valid prometheus config file syntax/);
    expect(config.ok).toBe(true);
  });

  it("tests every alert firing and staying silent, and the tests pass", async () => {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${a.alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${a.alert} stays silent in a test`,
      ).toBe(true);
    }
    const result = await promtool("test", "rules", "alerts.test.yml");
    expect(result.out).toMatch(/SUCCESS/);
    expect(result.ok).toBe(true);
  });

  // Each rule's threshold moved so its test case no longer fires: the unit tests must notice.
  it.each([
    ["ModelshipHighErrorRate", ") > 0.05", ") > 0.5"],
    ["ModelshipHighLatencyP99", ") > 0.5", ") > 2"],
    ["ModelshipNoTraffic", "[15m])) > 0)", "[15m])) > 100)"],
    ["ModelshipPredictionLogDropping", "[15m])) > 0", "[15m])) > 1000"],
    ["ModelshipRolloutFailed", "[15m])) > 0", "[15m])) > 1"],
    ["ModelshipRolloutFailed", 'outcome=~"rolled-back|failed"', 'outcome=~"failed"'],
    ["ModelshipRolloutFailed", "increase(modelship_rollouts_total", "max_over_time(modelship_rollouts_total"],
    ["ModelshipDatasetDrift", "(modelship_dataset_drift) == 1", "(modelship_dataset_drift) == 2"],
  ])("fails its unit tests when %s is changed", async (alert, from, to) => {
    const rules = parse(await readFile(join(DIR, "alerts.yml"), "utf8")) as RulesFile;
    const rule = rules.groups.flatMap((g) => g.rules).find((a) => a.alert === alert)!;
    expect(rule.expr).toContain(from);
    rule.expr = rule.expr.replace(from, to);
    await writeFile(join(work, "alerts.yml"), stringify(rules));
    await copyFile(join(DIR, "alerts.test.yml"), join(work, "alerts.test.yml"));
    const r = await promtool("test", "rules", join(work, "alerts.test.yml"));
    expect(r.ok).toBe(false);
    expect(r.out).toContain(alert);
  });
});

describe("modelship init --monitoring", () => {
  it("writes templates/monitoring into monitoring/, where promtool's tests pass as they do here", async () => {
    const repo = join(work, "repo");
    const r = await runCli(["init", "--model", "churn", "--monitoring", "--dir", repo], { cwd: work });
    expect(r.code).toBe(0);
    const files = ["grafana-dashboard.json", "alerts.yml", "alerts.test.yml", "prometheus.yml"];
    for (const f of files) {
      expect(r.stdout).toMatch(new RegExp(`created\\s+monitoring/${f.replace(/\./g, "\\.")}\\n`));
      expect(await readFile(join(repo, "monitoring", f), "utf8")).toBe(await readFile(join(DIR, f), "utf8"));
    }
    const tested = await promtool("test", "rules", join(repo, "monitoring", "alerts.test.yml"));
    expect(tested.out).toMatch(/SUCCESS/);
    const without = await runCli(["init", "--model", "churn", "--dir", join(work, "plain")], { cwd: work });
    expect(without.code).toBe(0);
    expect(without.stdout).not.toContain("monitoring/");
  });
});
