import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { runCli, serveCli } from "../cli/run-cli.ts";
import { makeConfigRepo } from "../cli/config-repo.ts";
import { removeTestDir } from "../cli/stop-cli.ts";

/** Debian's Chromium; `.ci/run` installs it. */
const CHROMIUM = "/usr/bin/chromium";
const FIXTURES = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
const DOCS_IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const CONFIG = `model: { name: iris, task: classification, target: species }
metrics: { primary: accuracy }
deploy:
  health: { readyTimeoutSeconds: 20, intervalMs: 50 }
  analysis: { smokeRequests: 0, maxErrorRate: 0, maxLatencyP95Ms: 2000, postSwitchSeconds: 0.3 }
  scaleDownDelaySeconds: 0.3
`;

let repo: string;
let browser: Browser;
let uiUrl: string;
const children: ChildProcess[] = [];
const versions: string[] = [];

/** Starts a CLI command that serves until killed; resolves with the address it prints. */
async function serve(args: string[], pattern: RegExp): Promise<string> {
  const started = await serveCli(args, { cwd: repo, pattern });
  children.push(started.child);
  return started.url;
}

/** A training run under .modelship/runs (where the run index looks), registered as a version. */
async function addRun(fixture: string, as: string, bias: number): Promise<void> {
  const dir = join(repo, ".modelship", "runs", as);
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  const { w, b } = CLASSIFIER_WEIGHTS;
  await writeFile(
    join(dir, "model", "model.onnx"),
    linearClassifierModel(
      w,
      b.map((x) => x + bias),
    ),
  );
  const run = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { runId: string };
  await writeFile(join(dir, "run.json"), JSON.stringify({ ...run, runId: `${run.runId}-${as}` }));
  const r = await runCli(["register", dir, "--allow-failed-gates", "--json"], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  versions.push((JSON.parse(r.stdout) as { version: { version: string } }).version.version);
}

async function openPage(viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

async function screenshot(page: Page, name: string): Promise<void> {
  // Refreshes the pictures in docs/ when asked; the assertions run either way.
  if (process.env.MODELSHIP_SCREENSHOTS !== "1") return;
  await mkdir(DOCS_IMAGES, { recursive: true });
  await page.screenshot({ path: join(DOCS_IMAGES, `${name}.png`), fullPage: false });
}

const HAS_CHROMIUM = existsSync(CHROMIUM);
// The page fetches after it renders; a busy machine can take seconds.
const WAIT = { timeout: 20_000 };

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  repo = await makeConfigRepo({ config: CONFIG, prefix: "ms-ui-", files: { ".gitignore": ".modelship/\n" } });
  await addRun("iris-baseline", "baseline", 0);
  await addRun("iris-candidate", "candidate", 0.01);
  await serve(["up", "--port", "0"], /serving on (http:\/\/127\.0\.0\.1:\d+)/);
  for (const v of versions) expect((await runCli(["deploy", v], { cwd: repo })).code).toBe(0);
  uiUrl = await serve(["ui", "--port", "0"], /dashboard on (http:\/\/127\.0\.0\.1:\d+)/);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  );
  if (repo) await removeTestDir(repo);
});

describe.skipIf(!HAS_CHROMIUM)("modelship ui in Chromium", () => {
  it("lists the runs, and two selected runs draw two learning curves side by side", async () => {
    const { page, errors } = await openPage();
    await page.goto(`${uiUrl}/#runs`);
    await expect.poll(() => page.locator("table.runs tbody tr").count(), WAIT).toBe(2);
    const ids = await page
      .locator("table.runs tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    for (const id of ids) await page.getByLabel(`compare ${id}`).check();
    await expect.poll(() => page.locator(".compare .u-legend .u-series").count(), WAIT).toBe(3);
    const legend = await page.locator(".compare .u-legend").innerText();
    for (const id of ids) expect(legend).toContain(id!);
    expect(await page.locator(".compare canvas").count()).toBe(1);
    expect(await page.locator("table.side-by-side tr.differs").count()).toBeGreaterThan(0);
    await screenshot(page, "ui-runs");
    // The MLflow-style filter runs on the server; a bad one says what is wrong.
    await page.getByLabel("Filter").fill("metrics.accuracy > 2");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("table.runs tbody tr").count(), WAIT).toBe(0);
    await expect.poll(() => page.getByText("No run matches the filter").count(), WAIT).toBe(1);
    await page.getByLabel("Filter").fill("metrics.accuracy >");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("[role=alert]").count(), WAIT).toBe(1);
    // The refused filter's 400 is the one error the browser logs.
    expect(errors.filter((e) => !e.includes("status of 400"))).toEqual([]);
  });

  it("shows the registry with the production alias, and a version's artifacts with digests", async () => {
    const { page, errors } = await openPage();
    await page.goto(`${uiUrl}/#versions`);
    const latest = versions.at(-1)!;
    await page.getByRole("button", { name: `v${latest}` }).click();
    await expect.poll(() => page.locator(".card h3").innerText(), WAIT).toContain(`v${latest}`);
    expect(await page.locator(".versions li", { hasText: `v${latest}` }).innerText()).toContain("production");
    expect(await page.locator(".card table.artifacts code").first().innerText()).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.locator(".card svg.lineage").getAttribute("aria-label")).toContain(`v${latest}`);
    await screenshot(page, "ui-versions");
    expect(errors).toEqual([]);
  });

  it("shows the live version and its slot, and a rollback with the admin token moves it back", async () => {
    // The latest verdict as `modelship drift --env production --json` leaves it for the environment.
    const feature = (
      name: string,
      test: string,
      statistic: number,
      pValue: number | null,
      threshold: number,
    ) => ({
      name,
      test,
      statistic,
      pValue,
      threshold,
      drifted: pValue === null ? statistic >= threshold : pValue <= threshold,
    });
    await writeFile(
      join(repo, ".modelship", "deploy", "production.drift.json"),
      JSON.stringify({
        drift: true,
        share: 0.5,
        rows: { reference: 120, current: 300 },
        features: [
          feature("petal_length", "ks", 0.41, 0.0001, 0.05),
          feature("sepal_width", "ks", 0.05, 0.93, 0.05),
        ],
        status: "drift",
        prediction: null,
        at: "2026-06-01T12:00:00.000Z",
        reference: "v1.0.0, live in production",
      }),
    );
    const { page, errors } = await openPage();
    await page.goto(`${uiUrl}/#live`);
    const [v1, v2] = versions as [string, string];
    await expect
      .poll(() => page.locator("[data-live-version]").getAttribute("data-live-version"), { timeout: 15_000 })
      .toBe(v2);
    expect(await page.locator("table.slots tbody tr", { hasText: "live" }).innerText()).toContain(`v${v2}`);
    // Without the token every action is disabled: the page only reads.
    expect(await page.getByRole("button", { name: "Roll back" }).isDisabled()).toBe(true);
    await expect.poll(() => page.locator(".drift h3").innerText(), WAIT).toContain("dataset drifted");
    expect(await page.locator("table.drift-features tr.drifted").innerText()).toContain("petal_length");
    await expect.poll(() => page.locator(".actions select option").count(), WAIT).toBe(versions.length);
    await screenshot(page, "ui-live");

    const admin = JSON.parse(
      await readFile(join(repo, ".modelship", "deploy", "production.admin.json"), "utf8"),
    ) as {
      token: string;
    };
    await page.getByLabel("Admin token").fill("wrong-token");
    await page.getByRole("button", { name: "Roll back" }).click();
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.locator(".actions [role=status]").innerText(), WAIT).toContain("refused");
    await page.getByLabel("Admin token").fill(admin.token);
    await page.getByRole("button", { name: "Roll back" }).click();
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect
      .poll(() => page.locator("[data-live-version]").getAttribute("data-live-version"), { timeout: 60_000 })
      .toBe(v1);
    const status = JSON.parse((await runCli(["status", "--json"], { cwd: repo })).stdout) as {
      active: { version: string };
    };
    expect(status.active.version).toBe(v1);
    expect(errors.filter((e) => !e.includes("status of 401"))).toEqual([]);
  }, 120_000);

  it("is also served on the router's admin port while `modelship up` runs; /v1/ still needs the token", async () => {
    const admin = JSON.parse(
      await readFile(join(repo, ".modelship", "deploy", "production.admin.json"), "utf8"),
    ) as {
      url: string;
    };
    const page = await fetch(`${admin.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const status = (await (await fetch(`${admin.url}/api/deployment`)).json()) as { serving: boolean };
    expect(status.serving).toBe(true);
    expect((await fetch(`${admin.url}/v1/status`)).status).toBe(401);
    expect((await fetch(`${admin.url}/api/actions/rollback`, { method: "POST" })).status).toBe(401);
    const { page: browserPage, errors } = await openPage();
    await browserPage.goto(`${admin.url}/#versions`);
    await expect.poll(() => browserPage.locator(".versions li").count(), WAIT).toBe(versions.length);
    expect(errors).toEqual([]);
  });

  it("is readable on a phone: nothing wider than the screen but the scrollable tables", async () => {
    const { page, errors } = await openPage({ width: 390, height: 844 });
    for (const view of ["runs", "versions", "live"]) {
      await page.goto(`${uiUrl}/#${view}`);
      await page.waitForSelector("main h2");
      const width = await page.evaluate("document.body.scrollWidth");
      expect(width, view).toBeLessThanOrEqual(390);
    }
    await screenshot(page, "ui-live-phone");
    expect(errors).toEqual([]);
  });
});
