import type { Transform } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";
import {
  ACTION_PLACEHOLDER,
  defaultDeployRunnerLabels,
  INIT_ARTIFACT_NAME,
  type InitOptions,
  type InitTarget,
} from "./init-options.ts";
import { renderTemplate, yamlBlockOfMaps, yamlFlowList } from "./render-template.ts";

/** One file `modelship init` writes: where in the repository, and from which template. */
export type InitFileSpec = { path: string; template: string };

/** The rendered content of one file, ready to compare with the repository's. */
export type InitFile = { path: string; template: string; content: string };

/** Template path (under `templates/`) → its text, as read by the adapter. */
export type TemplateTexts = ReadonlyMap<string, string>;

const CONFIG_PATH = ".github/modelship.yml";

/** A transform's fields as strings, `op` first, for the config template. */
function transformFields(t: Transform): Record<string, string> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)]));
}

/** The comment that points YAML editors (yaml-language-server) at the config's JSON Schema. */
export function schemaModeline(schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}`;
}

/** The monitoring templates (`modelship init --monitoring`), written to `monitoring/` as they ship. */
export const MONITORING_TEMPLATES = [
  "monitoring/grafana-dashboard.json",
  "monitoring/alerts.yml",
  "monitoring/alerts.test.yml",
  "monitoring/prometheus.yml",
] as const;

/** Which templates `modelship init` writes for a deploy target, and where. */
export function initFileSpecs(target: InitTarget, monitoring = false): InitFileSpec[] {
  return [
    { path: CONFIG_PATH, template: "config/modelship.yml" },
    { path: ".github/workflows/modelship-train.yml", template: "workflows/modelship-train.yml" },
    {
      path: ".github/workflows/modelship-deploy.yml",
      template:
        target === "kubernetes"
          ? "workflows/modelship-deploy-kubernetes.yml"
          : "workflows/modelship-deploy.yml",
    },
    { path: ".github/workflows/modelship-sweep.yml", template: "workflows/modelship-sweep.yml" },
    ...(monitoring ? MONITORING_TEMPLATES.map((t) => ({ path: t, template: t })) : []),
    // The drift check reads the prediction log on the serving host: the local target's.
    ...(monitoring && target === "local"
      ? [{ path: ".github/workflows/modelship-drift.yml", template: "workflows/modelship-drift.yml" }]
      : []),
  ];
}

/** Every template `initFileSpecs` can name, for any target. */
export function allTemplatePaths(): string[] {
  const paths = new Set<string>();
  for (const target of ["local", "kubernetes"] as const)
    for (const s of initFileSpecs(target, true)) paths.add(s.template);
  return [...paths];
}

/** Renders the config and workflow templates with the options; pure and deterministic. */
export function renderInitFiles(templates: TemplateTexts, options: InitOptions): InitFile[] {
  const values = {
    __MODEL_NAME__: options.model,
    __RUNNER_LABELS__: yamlFlowList(options.runnerLabels),
    __DEPLOY_RUNNER_LABELS__: yamlFlowList(
      options.deployRunnerLabels ?? defaultDeployRunnerLabels(options.target),
    ),
    __ARTIFACT_NAME__: INIT_ARTIFACT_NAME,
    __DEPLOY_TARGET__: options.target,
    __TASK__: options.task,
    __TARGET_COLUMN__: JSON.stringify(options.targetColumn),
    __DATA_SOURCE__: yamlFlowList(options.dataSources),
    __FEATURES__: yamlFlowList(options.features),
  };
  const replace = [
    [ACTION_PLACEHOLDER, options.action],
    // With the space before it: a block list starts on the next line.
    [" __DATA_TRANSFORMS__", yamlBlockOfMaps(options.transforms.map(transformFields), 2)],
  ] as const;
  return initFileSpecs(options.target, options.monitoring).map((spec) => {
    const text = templates.get(spec.template);
    if (text === undefined) {
      throw new ModelshipError({
        code: "template-missing",
        message: `template ${spec.template} is missing`,
        where: { file: `templates/${spec.template}` },
        hint: "Reinstall modelship: its templates/ folder is incomplete.",
      });
    }
    const rendered = renderTemplate(text, `templates/${spec.template}`, values, replace);
    if (!rendered.ok) throw new ModelshipError(rendered.problems);
    const content =
      spec.path === CONFIG_PATH && options.schemaPath !== undefined
        ? `${schemaModeline(options.schemaPath)}\n${rendered.text}`
        : rendered.text;
    return { ...spec, content };
  });
}
