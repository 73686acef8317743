import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError, type SourceLocation } from "../../core/errors.ts";
import { tableFromRows } from "../../core/data/expectations/expectation-table.ts";
import { locateExpectations } from "../../core/data/expectations/locate-expectations.ts";
import { runExpectationSuite } from "../../core/data/expectations/run-expectation-suite.ts";
import { VALIDATION_FILE, type ValidationReport } from "../../core/data/expectations/validation-report.ts";
import { readValidationRows, type ReadValidationRows, type ValidationRows } from "./read-validation-rows.ts";

export type ValidateDataOptions = {
  config: Config;
  repoDir: string;
  /** The config file, to point each result at its entry (file:line:column); unread when absent. */
  configFile?: string;
  /** How results name the config file (default: configFile), e.g. relative to the repository. */
  configLabel?: string;
  readRows?: ReadValidationRows;
  /** Where `${NAME}` in source settings is looked up; default: nothing is set. */
  env?: Readonly<Record<string, string | undefined>>;
};

/** Reads the configured data and runs `data.expectations` on it. */
export async function validateData(
  opts: ValidateDataOptions,
): Promise<{ report: ValidationReport; data: ValidationRows }> {
  const data = await (opts.readRows ?? readValidationRows)({
    repoDir: opts.repoDir,
    data: opts.config.data,
    ...(opts.env ? { env: opts.env } : {}),
  });
  const origins = data.rows.map((_, i) => data.origin(i));
  const table = tableFromRows(data.rows, origins);
  const locations = opts.configFile
    ? await configLocations(opts.configFile, opts.configLabel ?? opts.configFile)
    : undefined;
  const report = runExpectationSuite(table, opts.config.data.expectations, locations ? { locations } : {});
  return { report, data };
}

/** Where each entry of `data.expectations` is in the config file (undefined when it cannot be read). */
export async function configLocations(
  file: string,
  label: string,
): Promise<(SourceLocation | undefined)[] | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text === undefined ? undefined : locateExpectations(text, label);
}

/** The error that stops training: one problem per failed error-severity expectation (exit 1). */
export function expectationsFailedError(report: ValidationReport): ModelshipError {
  const failed = report.results.filter((r) => !r.success && r.severity === "error");
  return new ModelshipError(
    failed.map((r) => ({
      code: "data-expectations-failed",
      message: `${r.expectation}${r.column === null ? "" : ` on '${r.column}'`} failed (${describeFailure(r)}); nothing was trained`,
      ...(r.where ? { where: r.where } : {}),
      hint: "Run `modelship data validate` to see every result and the unexpected rows; fix the data, or loosen the expectation (bounds, mostly, severity: warning).",
    })),
    { failedCheck: true },
  );
}

/** One short phrase: the observed value and how many values were unexpected. */
export function describeFailure(r: ValidationReport["results"][number]): string {
  const observed = r.observed === null ? "nothing observed" : `observed ${formatObserved(r.observed)}`;
  if (r.unexpectedCount === 0) return observed;
  return `${observed}, ${r.unexpectedCount} unexpected value${r.unexpectedCount === 1 ? "" : "s"} (${r.unexpectedPercent.toFixed(1)}%)`;
}

function formatObserved(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/**
 * Runs the suite before training: throws (exit 1, nothing trained or written) when an
 * error-severity expectation fails; otherwise the report, for the run directory. No suite, no read.
 */
export async function checkDataBeforeTraining(
  opts: ValidateDataOptions,
): Promise<ValidationReport | undefined> {
  if (opts.config.data.expectations.length === 0) return undefined;
  const { report } = await validateData(opts);
  if (!report.success) throw expectationsFailedError(report);
  return report;
}

/** Writes the report as `validation.json` into a (staging) run directory. */
export async function writeValidationReport(dir: string, report: ValidationReport): Promise<void> {
  await writeFile(join(dir, VALIDATION_FILE), `${JSON.stringify(report, null, 2)}\n`);
}
