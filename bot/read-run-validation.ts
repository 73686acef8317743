import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { validationArtifactName } from "../core/bot/validation-check-annotations.ts";
import type { Correlation } from "../core/bot/correlation-id.ts";
import type { Config } from "../core/config/schema.ts";
import {
  VALIDATION_FILE,
  ValidationReportSchema,
  type ValidationReport,
} from "../core/data/expectations/validation-report.ts";
import type { BotEnv } from "./bot-event.ts";
import type { WorkflowRunInfo } from "./github-port.ts";

/**
 * The validate job's `validation.json` from a training workflow run (artifact
 * `<artifactName>-validation`), checked against its schema; undefined when the run has none.
 */
export async function readRunValidation(input: {
  env: BotEnv;
  config: Config;
  correlation: Correlation;
  run: WorkflowRunInfo;
}): Promise<ValidationReport | undefined> {
  const dest = join(await input.env.scratchDir(), "validation");
  let report: ValidationReport | undefined;
  const download = await input.env.gh.downloadArtifactFiles(
    input.run.id,
    validationArtifactName(input.config.github.artifactName),
    dest,
    async (dir) => {
      const text = await readFile(join(dir, VALIDATION_FILE), "utf8").catch(() => undefined);
      if (text === undefined) return `${VALIDATION_FILE} is missing`;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return `${VALIDATION_FILE} is not JSON`;
      }
      const parsed = ValidationReportSchema.safeParse(json);
      if (!parsed.success) return `${VALIDATION_FILE} is not a validation report`;
      report = parsed.data;
      return undefined;
    },
  );
  return download.ok ? report : undefined;
}
