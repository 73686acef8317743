import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_SNAPSHOTS_DIR, pullData } from "../../adapters/data-sources/pull-data.ts";
import { describeSource } from "../../core/data/data-snapshot.ts";
import { emit, loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type PullOptions = CommonOptions & { json?: boolean; snapshotsDir?: string };

/** `modelship data pull`: read every configured source and materialise the snapshot, without training. */
export function registerDataPull(data: Command): void {
  withCommonOptions(
    data
      .command("pull")
      .description(
        "Read every data source and write the snapshot (.modelship/data/<version>/): rows, schema, sources; no training.",
      ),
  )
    .option("--snapshots-dir <dir>", `where snapshots go (default: <repo>/${DEFAULT_SNAPSHOTS_DIR})`)
    .option("--json", "print the snapshot manifest as JSON")
    .action(async (opts: PullOptions) => {
      const { config, repoDir } = await loadCommonConfig(opts);
      const pulled = await pullData({
        repoDir,
        data: config.data,
        env: process.env,
        snapshotsDir: resolve(repoDir, opts.snapshotsDir ?? DEFAULT_SNAPSHOTS_DIR),
      });
      const { snapshot } = pulled;
      const dir = pulled.snapshotDir ?? "";
      emit(opts.json, { ...snapshot, snapshotDir: dir, reused: pulled.reused }, () => {
        const lines = [
          `data version ${snapshot.version}`,
          `  ${snapshot.rows} rows, ${snapshot.columns.length} columns, ${snapshot.bytes} bytes`,
          `  ${pulled.reused ? "unchanged, reused" : "written to"} ${relative(process.cwd(), dir) || dir}`,
          ...snapshot.parts.map((p) => `  ${p.rows} rows from ${p.source.kind} ${describeSource(p.source)}`),
          ...snapshot.columns.map((c) => `    ${c.name}: ${c.type}${c.nulls > 0 ? `, ${c.nulls} null` : ""}`),
        ];
        return `${lines.join("\n")}\n`;
      });
    });
}
