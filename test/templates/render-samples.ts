import { readInitTemplates } from "../../adapters/init/read-templates.ts";
import {
  defaultDeployRunnerLabels,
  InitOptionsSchema,
  type InitOptionsInput,
} from "../../core/init/init-options.ts";
import { renderInitFiles, type InitFile } from "../../core/init/render-init-files.ts";

/** Parameter sets the templates are rendered with in tests: both targets, odd labels. */
export const SAMPLE_OPTIONS: Record<string, InitOptionsInput> = {
  "local, GPU labels": {
    model: "churn",
    runnerLabels: ["self-hosted", "gpu"],
    target: "local",
    action: "acme/modelship@v1",
  },
  "kubernetes, built-in labels only": {
    model: "fraud.v2",
    runnerLabels: ["self-hosted", "linux", "x64"],
    target: "kubernetes",
    action: "acme/modelship@0123456789abcdef0123456789abcdef01234567",
  },
  "local, labels that look like YAML scalars": {
    model: "1.0",
    runnerLabels: ["self-hosted", "true", "a100_80gb"],
    deployRunnerLabels: ["self-hosted", "serve-eu"],
    target: "local",
    action: "acme/ml-actions/modelship@v1.2.3",
  },
};

export type RenderedSample = { sample: string; labels: string[]; action: string; file: InitFile };

/** Every (sample, file) pair, rendered through the same code `modelship init` uses. */
export async function renderSamples(): Promise<RenderedSample[]> {
  const templates = await readInitTemplates();
  return Object.entries(SAMPLE_OPTIONS).flatMap(([sample, input]) => {
    const options = InitOptionsSchema.parse(input);
    return renderInitFiles(templates, options).map((file) => ({
      sample,
      labels: [
        ...options.runnerLabels,
        ...(options.deployRunnerLabels ?? defaultDeployRunnerLabels(options.target)),
      ],
      action: options.action,
      file,
    }));
  });
}
