import type { ValidationReport } from "../data/expectations/validation-report.ts";
import { truncateText } from "../report/escape-markdown.ts";
import { CHECK_ANNOTATIONS_PER_REQUEST, type CheckAnnotation } from "./check-run-result.ts";

/** The artifact the train workflow's validate job uploads: `<artifactName>-validation`, one per workflow run. */
export function validationArtifactName(artifactName: string): string {
  return `${artifactName}-validation`;
}

/**
 * One check-run annotation per failed expectation, on its entry in the config (errors as
 * failures, warnings as warnings); line 1 when the report does not say where the entry is.
 */
export function validationCheckAnnotations(report: ValidationReport, configFile: string): CheckAnnotation[] {
  return report.results
    .filter((r) => !r.success)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1))
    .slice(0, CHECK_ANNOTATIONS_PER_REQUEST)
    .map((r) => {
      const line = r.where?.line !== undefined && r.where.line >= 1 ? r.where.line : 1;
      const observed = r.observed === null ? "nothing observed" : `observed ${r.observed}`;
      const unexpected =
        r.unexpectedCount > 0
          ? `; ${r.unexpectedCount} unexpected (${r.unexpectedPercent.toFixed(1)}%), e.g. ${r.unexpectedSample
              .slice(0, 3)
              .map((u) => `${JSON.stringify(u.value)} at ${u.source}:${u.row}`)
              .join(", ")}`
          : "";
      return {
        path: configFile,
        start_line: line,
        end_line: line,
        annotation_level: r.severity === "error" ? "failure" : "warning",
        title: truncateText(`Data expectation failed: ${r.expectation}`, 255),
        message: truncateText(
          `${r.column === null ? "" : `column '${r.column}': `}${observed}${unexpected}`,
          4000,
        ),
      };
    });
}
