import { resolve } from "node:path";
import type { Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { requireVersion } from "../../adapters/compare/baseline.ts";
import type { ModelVersion, Registry } from "../../core/registry/registry-port.ts";
import { ModelshipError } from "../../core/errors.ts";
import { loadModelCheck } from "../shared/load-model-check.ts";
import { info } from "../shared/output.ts";
import { emit, loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type ModelsOptions = CommonOptions & { name?: string; json?: boolean };

async function open(opts: ModelsOptions): Promise<{ registry: Registry; name: string }> {
  const { config, repoDir } = await loadCommonConfig(opts);
  const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
  return { registry, name: opts.name ?? config.model.name };
}

function primaryMetrics(v: ModelVersion, max = 3): string {
  return Object.entries(v.metrics)
    .slice(0, max)
    .map(([k, x]) => `${k}=${Number.isFinite(x) ? Number(x.toPrecision(4)) : x}`)
    .join(" ");
}

function renderVersion(v: ModelVersion): string {
  const lines = [
    `${v.name} v${v.version}${v.aliases.length ? `  (${v.aliases.join(", ")})` : ""}`,
    `  tag:        ${v.tag}`,
    `  created:    ${v.createdAt}`,
    `  run:        ${v.runId}`,
    `  commit:     ${v.lineage.commit ?? "-"}${v.lineage.branch ? ` (${v.lineage.branch})` : ""}`,
    `  parent:     ${v.lineage.parentVersion ?? "-"}`,
    `  data:       ${v.dataFingerprint}`,
    "  metrics:",
    ...Object.entries(v.metrics).map(([k, x]) => `    ${k.padEnd(20)} ${x}`),
    "  artifacts:",
    ...v.artifacts.map((a) => `    ${a.sha256.slice(0, 12)}  ${String(a.bytes).padStart(9)}  ${a.path}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** `modelship models list|show|alias|history`: read and move things in the registry. */
export function register(program: Command): void {
  const models = program.command("models").description("List and inspect registered model versions.");
  const common = (cmd: Command) =>
    withCommonOptions(cmd)
      .option("-n, --name <model>", "model name (default: model.name from the config)")
      .option("--json", "print JSON");

  common(models.command("list").description("Every registered version, newest first.")).action(
    async (opts: ModelsOptions) => {
      const { registry, name } = await open(opts);
      const versions = await registry.list(opts.name ? name : undefined);
      emit(opts.json, versions, () =>
        versions.length === 0
          ? "no registered versions yet (train, then `modelship register RUN_DIR`)\n"
          : `${versions
              .map(
                (v) =>
                  `${v.name.padEnd(16)} ${`v${v.version}`.padEnd(10)} ${v.createdAt.slice(0, 19).replace("T", " ")}  ${(v.aliases.join(",") || "-").padEnd(12)} ${primaryMetrics(v)}`,
              )
              .join("\n")}\n`,
      );
    },
  );

  models
    .command("check")
    .description(
      "Load a run directory's model in onnxruntime and answer one request, as register does before it creates a version.",
    )
    .argument("<run-dir>", "run directory whose model/model.onnx to check")
    .option("--json", "print {ok, problems} as JSON")
    .action(async (runDir: string, opts: { json?: boolean }) => {
      const check = await loadModelCheck();
      const problems = await check(resolve(runDir));
      if (opts.json) emit(true, { ok: problems.length === 0, problems }, () => "");
      else if (problems.length === 0) info(`ok: ${runDir} loads and answers one request`);
      if (problems.length > 0) {
        if (opts.json) process.exitCode = 1;
        else throw new ModelshipError(problems, { failedCheck: true });
      }
    });

  common(
    models
      .command("show")
      .description("One version's metadata, lineage and artifacts.")
      .argument("[ref]", "version, `latest` or alias", "latest"),
  ).action(async (ref: string, opts: ModelsOptions) => {
    const { registry, name } = await open(opts);
    const v = await requireVersion(registry, name, ref);
    emit(opts.json, v, () => renderVersion(v));
  });

  common(
    models
      .command("alias")
      .description("Point an alias (production, staging, …) at a version; every move is kept in its history.")
      .argument("<alias>", "alias name")
      .argument("<version>", "version to point at")
      .option("--reason <text>", "why, kept in the alias history"),
  ).action(async (alias: string, version: string, opts: ModelsOptions & { reason?: string }) => {
    const { registry, name } = await open(opts);
    const target = await requireVersion(registry, name, version);
    const r = await registry.setAlias(name, alias, target.version, {
      now: new Date(),
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    emit(
      opts.json,
      { alias, version: target.version, previous: r.previous },
      () => `${name} ${alias}: ${r.previous ? `v${r.previous}` : "(unset)"} → v${target.version}\n`,
    );
  });

  common(
    models
      .command("history")
      .description("Which version an alias pointed to, and when.")
      .argument("[alias]", "alias name", "production"),
  ).action(async (alias: string, opts: ModelsOptions) => {
    const { registry, name } = await open(opts);
    const events = await registry.aliasHistory(name, alias);
    emit(opts.json, events, () =>
      events.length === 0
        ? `${name} ${alias}: never set\n`
        : `${events.map((e) => `${e.at}  ${e.version ? `v${e.version}` : "(removed)"}  ${e.reason ?? ""}`.trimEnd()).join("\n")}\n`,
    );
  });
}
