import { z } from "zod";
import { GitHubSchema, TransformSchema, type Config } from "../config/schema.ts";

/** The deploy targets `modelship init` can write a deploy workflow for. */
export const INIT_TARGETS = ["local", "kubernetes"] as const;
export type InitTarget = (typeof INIT_TARGETS)[number];

/** The model tasks the starter config can be written for. */
export const INIT_TASKS = [
  "classification",
  "regression",
] as const satisfies readonly Config["model"]["task"][];

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTION_REF =
  /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}(\/[A-Za-z0-9._-]+)*@[A-Za-z0-9._/-]{1,100}$/;

const Labels = z
  .array(z.string().regex(LABEL, "a runner label: letters, digits, '.', '_' or '-'"))
  .min(1, "at least one runner label")
  .max(20)
  .transform((labels) => [...new Set(labels)]);

/** What `modelship init` is parameterised by, validated once at the edge. */
export const InitOptionsSchema = z
  .object({
    model: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,62}$/,
        "lower-case letters, digits, '.', '_' or '-', at most 63 characters",
      ),
    runnerLabels: Labels,
    deployRunnerLabels: Labels.optional(),
    target: z.enum(INIT_TARGETS),
    action: z.string().regex(ACTION_REF, "OWNER/REPO@REF, for example acme/modelship@v1"),
    task: z.enum(INIT_TASKS).default("classification"),
    targetColumn: z.string().trim().min(1, "a column name").default("label"),
    /** Data files, relative to the repository root; empty leaves data.source for the user to fill in. */
    dataSources: z.array(z.string().min(1)).default([]),
    /** model.features and data.transforms that make the starter config train on `dataSources`. */
    features: z.array(z.string().min(1)).default([]),
    transforms: z.array(TransformSchema).default([]),
    /** Also write `monitoring/`: the Grafana dashboard, alert rules with their promtool tests, a Prometheus config. */
    monitoring: z.boolean().default(false),
    /** `$schema` of the config's yaml-language-server line, relative to the config; none: no line. */
    schemaPath: z.string().min(1).optional(),
  })
  .strict();
export type InitOptionsInput = z.input<typeof InitOptionsSchema>;
export type InitOptions = z.output<typeof InitOptionsSchema>;

/** The Action reference the templates carry until `--action` names the real one. */
export const ACTION_PLACEHOLDER = "OWNER/modelship@v1";

/** Artifact prefix written into the config and the workflows (the config's own default). */
export const INIT_ARTIFACT_NAME = GitHubSchema.parse({}).artifactName;

/** Where deploy jobs run when `--deploy-runner-labels` is not given. */
export function defaultDeployRunnerLabels(target: InitTarget): string[] {
  // The local target serves from the runner's own machine; Kubernetes only needs an API client.
  return target === "local" ? ["self-hosted", "modelship-serve"] : ["ubuntu-latest"];
}
