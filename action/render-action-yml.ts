import { stringify } from "yaml";
import { ACTION_INPUTS, ACTION_OUTPUTS, type InputSpec } from "./inputs.ts";

/** The contents of `action.yml`, generated from the input and output registry. */
export function renderActionYml(): string {
  const inputs: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(ACTION_INPUTS) as [string, InputSpec][]) {
    inputs[name] = {
      description: spec.description,
      required: spec.required,
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  const doc = {
    name: "Modelship",
    description:
      "Train, compare, register and blue-green deploy ML models from pull requests: reports, releases and deployments on GitHub.",
    author: "Modelship",
    branding: { icon: "box", color: "blue" },
    inputs,
    outputs: ACTION_OUTPUTS,
    runs: { using: "node24", main: "dist/index.js" },
  };
  const header =
    "# Generated from action/inputs.ts by `node scripts/build-action.mjs`; edit the registry, not this file.\n";
  return header + stringify(doc, { lineWidth: 0 });
}
