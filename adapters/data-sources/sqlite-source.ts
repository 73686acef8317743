import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { SqliteSourceConfig } from "../../core/config/data-sources-schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { DataSource, Row } from "./data-source.ts";
import { normalizeValue } from "./normalize-value.ts";
import { openRepoFile } from "./open-repo-file.ts";

/** A SQLite file inside the repository, opened read-only; the query's rows are stepped one at a time. */
export async function createSqliteSource(
  config: SqliteSourceConfig,
  ctx: { repoDir: string; at: string },
): Promise<DataSource> {
  // The same checks as data files: inside the repository, a regular file.
  const file = await openRepoFile({ repoDir: ctx.repoDir, path: config.path, at: ctx.at });
  await file.handle.close();
  const real = await realpath(resolve(ctx.repoDir, config.path));
  return {
    description: { kind: "sqlite", path: config.path, query: config.query },
    async *read({ batchRows }): AsyncGenerator<Row[]> {
      let db: DatabaseSync | undefined;
      try {
        db = new DatabaseSync(real, { readOnly: true });
        const statement = db.prepare(config.query);
        let batch: Row[] = [];
        for (const row of statement.iterate(
          ...config.params.map((v) => (typeof v === "boolean" ? Number(v) : v)),
        )) {
          batch.push(normalizeValue({ ...(row as object) }) as Row);
          if (batch.length >= batchRows) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      } catch (err) {
        if (err instanceof ModelshipError) throw err;
        throw new ModelshipError({
          code: "data-sqlite-failed",
          message: `${ctx.at}: ${config.path}: ${(err as Error).message}`,
          where: { file: config.path },
          hint: "Check the query and its params (bound to ? in order) with the sqlite3 shell; the file is opened read-only.",
        });
      } finally {
        db?.close();
      }
    },
    close: async () => undefined,
  };
}
