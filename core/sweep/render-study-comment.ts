import type { Study } from "./study.ts";
import { renderStudyTable } from "./summarize-study.ts";

/** The hidden marker of a study's one pull-request comment. */
export function studyCommentMarker(name: string): string {
  return `<!-- modelship:study ${name} -->`;
}

/** The sticky pull-request comment of a study: its table, where it ran, and how to continue it. */
export function renderStudyComment(study: Study, o: { runUrl?: string }): string {
  const running = study.trials.filter((t) => t.state === "running").length;
  return [
    studyCommentMarker(study.name),
    `### Modelship · study \`${study.name}\``,
    "",
    renderStudyTable(study),
    "",
    [
      running > 0 ? `${running} trial(s) still running.` : "",
      o.runUrl ? `Last update from [this workflow run](${o.runUrl}).` : "",
      "`/sweep N` runs N more trials of this study.",
    ]
      .filter((s) => s !== "")
      .join(" "),
  ].join("\n");
}
