import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
