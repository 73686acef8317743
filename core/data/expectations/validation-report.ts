import { z } from "zod";
import type { SourceLocation } from "../../errors.ts";
import { EXPECTATION_NAMES, type ExpectationName } from "./expectation-schema.ts";

const json = z.custom<unknown>(() => true);

const UnexpectedValueSchema = z.object({ source: z.string(), row: z.number().int(), value: json });

/**
 * `modelship data validate --json` and a run directory's `validation.json`: the suite's outcome
 * and one result per entry of `data.expectations`, in config order.
 */
export const ValidationReportSchema = z.object({
  success: z.boolean().describe("No error-severity expectation failed."),
  results: z.array(
    z.object({
      expectation: z.enum(EXPECTATION_NAMES as [ExpectationName, ...ExpectationName[]]),
      column: z.string().nullable(),
      success: z.boolean(),
      observed: z.number().nullable(),
      unexpectedCount: z.number().int().nonnegative(),
      unexpectedPercent: z.number().min(0).max(100),
      unexpectedSample: z.array(UnexpectedValueSchema).max(20),
      severity: z.enum(["error", "warning"]),
      where: z
        .object({
          file: z.string(),
          line: z.number().int().positive().optional(),
          column: z.number().int().positive().optional(),
        })
        .transform((w): SourceLocation => ({
          file: w.file,
          ...(w.line !== undefined ? { line: w.line } : {}),
          ...(w.column !== undefined ? { column: w.column } : {}),
        }))
        .optional()
        .describe("The entry's place in the config: file, line and column."),
    }),
  ),
});
export type ValidationReport = z.infer<typeof ValidationReportSchema>;
export type ValidationResult = ValidationReport["results"][number];

/** Name of the validation report in a run directory. */
export const VALIDATION_FILE = "validation.json";
