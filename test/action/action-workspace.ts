import { execFile } from "node:child_process";
import { access, cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./run-action.ts";

export const IRIS_CONFIG = `model:
  name: iris
  task: classification
  target: species
metrics:
  primary: accuracy
  gates:
    accuracy: { required: true, min: 0.9 }
    loss: { direction: minimize, maxRelativeRegression: 0.05 }
`;

/** A repository checkout as the runner leaves it: a config and two run directories from the fixtures. */
export async function createWorkspace(opts: { config?: string } = {}): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), "modelship-ws-"));
  await mkdir(join(ws, ".github"), { recursive: true });
  await writeFile(join(ws, ".github", "modelship.yml"), opts.config ?? IRIS_CONFIG);
  for (const run of ["iris-baseline", "iris-candidate"]) {
    await cp(join(REPO_ROOT, "test", "fixtures", "runs", run), join(ws, "runs", run), { recursive: true });
  }
  return ws;
}

type WebhookExample = { name: string; examples: Array<Record<string, unknown> & { action?: string }> };

/** A real payload from @octokit/webhooks-examples. */
export async function webhookExample(name: string, action?: string): Promise<Record<string, unknown>> {
  const all = JSON.parse(
    await readFile(
      join(REPO_ROOT, "node_modules", "@octokit", "webhooks-examples", "api.github.com", "index.json"),
      "utf8",
    ),
  ) as WebhookExample[];
  const found = all
    .find((e) => e.name === name)
    ?.examples.find((x) => action === undefined || x.action === action);
  if (!found) throw new Error(`no ${name}.${action ?? "*"} example`);
  return structuredClone(found);
}

/**
 * This repository as the runner downloads it for `uses: owner/modelship@ref`: the files git tracks
 * (and new ones it does not ignore), with no node_modules and no build output other than dist/.
 */
export async function copyActionCheckout(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "modelship-action-"));
  const { stdout } = await promisify(execFile)(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  for (const file of stdout.split("\0").filter(Boolean)) {
    const from = join(REPO_ROOT, file);
    // Files deleted in the working tree but still in the index are not part of the checkout.
    if (
      !(await access(from).then(
        () => true,
        () => false,
      ))
    )
      continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(from, join(dir, file));
  }
  return dir;
}
