import { resolve } from "node:path";
import type { Command } from "commander";
import { writeComparisonPlots } from "../../adapters/plots/write-comparison-plots.ts";
import { emit } from "../shared/options.ts";

type PlotsOptions = { baseline: string; out: string; label?: string; baselineLabel?: string; json?: boolean };

/** `modelship plots RUN_DIR --baseline RUN_DIR --out DIR`: a run's charts with a baseline's next to them. */
export function register(program: Command): void {
  program
    .command("plots")
    .description(
      "Draw a run's charts (SVG and PNG) with a baseline run's next to them, as the pull-request report shows them.",
    )
    .argument("<run-dir>", "the candidate run directory")
    .requiredOption("-b, --baseline <run-dir>", "the baseline's run directory")
    .requiredOption("-o, --out <dir>", "where to write plots/ (and comparison.json naming both runs)")
    .option("--label <text>", "the candidate's name in the legends (default: its run id)")
    .option("--baseline-label <text>", "the baseline's name in the legends (default: its run id)")
    .option("--json", 'print { "out", "candidate", "baseline", "plots": [{ "id", "title", "svg", "png" }] }')
    .action(async (runDir: string, opts: PlotsOptions) => {
      const out = resolve(opts.out);
      const drawn = await writeComparisonPlots({
        out,
        candidateDir: resolve(runDir),
        baselineDir: resolve(opts.baseline),
        labels: {
          ...(opts.label !== undefined ? { candidate: opts.label } : {}),
          ...(opts.baselineLabel !== undefined ? { baseline: opts.baselineLabel } : {}),
        },
      });
      emit(opts.json, { out, ...drawn.record, plots: drawn.plots }, () =>
        [
          `${drawn.plots.length} plots of ${drawn.record.candidate.label} next to ${drawn.record.baseline.label} in ${out}:`,
          ...drawn.plots.map((p) => `  ${p.png}  ${p.title}`),
          "",
        ].join("\n"),
      );
    });
}
