import type {
  DataLoading,
  DataSourceConfig,
  HttpSourceConfig,
} from "../../core/config/data-sources-schema.ts";
import { availableParallelism } from "node:os";
import { ModelshipError } from "../../core/errors.ts";
import type { DataSource } from "./data-source.ts";
import { createFileSources } from "./file-source.ts";
import { createHttpSource, type HttpPageMemo } from "./http-source.ts";
import { createPostgresSource } from "./postgres-source.ts";
import { createSqliteSource } from "./sqlite-source.ts";

export type SourceContext = {
  repoDir: string;
  loading: DataLoading;
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof globalThis.fetch;
  /** Pages of an http source's previous pull, for conditional requests. */
  httpPrevious?: (config: HttpSourceConfig) => Promise<HttpPageMemo[] | undefined>;
  /** Hash files when opened (to look a snapshot up); otherwise only as they are read. */
  hashFilesFirst?: boolean;
};

/** An opened source and the config entry it came from (a glob gives several). */
export type OpenedSource = { source: DataSource; config: DataSourceConfig };

/** The DataSource of every configured entry, legacy `data.source` files first, in order. */
export async function openSources(
  data: { source: readonly string[]; format: string; sources: readonly DataSourceConfig[] },
  ctx: SourceContext,
): Promise<OpenedSource[]> {
  const entries: Array<{ config: DataSourceConfig; at: string }> = [
    ...data.source.map((path, i) => ({
      config: { kind: "file" as const, path, format: data.format as "auto" },
      at: `data.source[${i}]`,
    })),
    ...data.sources.map((config, i) => ({ config, at: `data.sources[${i}]` })),
  ];
  if (entries.length === 0) {
    throw new ModelshipError({
      code: "data-source-missing",
      message: "the config names no data: data.sources and data.source are both empty",
      hint: "Add a source under data.sources, e.g. - { kind: file, path: data/train.csv }.",
    });
  }
  const opened: OpenedSource[] = [];
  try {
    for (const { config, at } of entries) {
      for (const source of await openOne(config, at, ctx)) opened.push({ source, config });
    }
  } catch (err) {
    await Promise.all(opened.map((o) => o.source.close()));
    throw err;
  }
  return opened;
}

async function openOne(config: DataSourceConfig, at: string, ctx: SourceContext): Promise<DataSource[]> {
  switch (config.kind) {
    case "file":
      return createFileSources(config, {
        repoDir: ctx.repoDir,
        bufferBytes: Math.round(ctx.loading.bufferMiB * 1024 * 1024),
        maxRecordChars: ctx.loading.maxRecordKiB * 1024,
        workers: ctx.loading.workers ?? defaultWorkers(),
        hashFirst: ctx.hashFilesFirst ?? false,
        at,
      });
    case "http": {
      const previous = await ctx.httpPrevious?.(config);
      return [
        createHttpSource(config, {
          env: ctx.env,
          at,
          ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
          ...(previous ? { previous } : {}),
        }),
      ];
    }
    case "sqlite":
      return [await createSqliteSource(config, { repoDir: ctx.repoDir, at })];
    case "postgres":
      return [createPostgresSource(config, { env: ctx.env, at })];
  }
}

/**
 * One fewer than the CPUs (at most 4): the main thread has its own share, building rows and
 * hashing the canonical lines the workers write; none on a single CPU.
 */
function defaultWorkers(): number {
  return Math.min(4, availableParallelism() - 1);
}
