import pg from "pg";
import Cursor from "pg-cursor";
import type { PostgresSourceConfig } from "../../core/config/data-sources-schema.ts";
import { expandEnvReferences } from "../../core/config/expand-env-references.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { DataSource, Row } from "./data-source.ts";
import { normalizeValue } from "./normalize-value.ts";

// int8 and numeric arrive as text by default: rows carry numbers (text when they exceed a double's integers).
const NUMERIC_OIDS = new Set([20, 1700]);
const DATE_OID = 1082;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (NUMERIC_OIDS.has(oid)) {
      return (v: string) => {
        const n = Number(v);
        return Number.isFinite(n) && (oid !== 20 || Number.isSafeInteger(n)) ? n : v;
      };
    }
    // date stays its calendar text: a Date would shift with the machine's time zone.
    if (oid === DATE_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * A PostgreSQL query read through a server-side cursor, `batchRows` rows at a time. The connection
 * string comes from the environment variable the config names; only host, port and database are
 * recorded.
 */
export function createPostgresSource(
  config: PostgresSourceConfig,
  ctx: { env: Readonly<Record<string, string | undefined>>; at: string },
): DataSource {
  const connectionString = expandEnvReferences(config.url, ctx.env, `${ctx.at}.url`);
  const probe = new pg.Client({ connectionString });
  const server = `${probe.host}:${probe.port}/${probe.database ?? ""}`;
  return {
    description: { kind: "postgres", server, query: config.query },
    async *read(): AsyncGenerator<Row[]> {
      const client = new pg.Client({ connectionString, types });
      let connected = false;
      try {
        await client.connect();
        connected = true;
        const cursor = client.query(new Cursor(config.query, [...config.params]));
        try {
          for (;;) {
            const rows = (await cursor.read(config.batchRows)) as Row[];
            if (rows.length === 0) break;
            yield rows.map((r) => normalizeValue(r) as Row);
          }
        } finally {
          await cursor.close().catch(() => undefined);
        }
      } catch (err) {
        if (err instanceof ModelshipError) throw err;
        throw new ModelshipError({
          code: connected ? "data-postgres-query-failed" : "data-postgres-connect-failed",
          message: `${ctx.at}: postgres ${server}: ${pgReason(err)}`,
          hint: connected
            ? "Check the query and its params (bound to $1, $2, ... in order) with psql."
            : `Check that the server is up and that ${config.url} holds a valid connection string.`,
        });
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    close: async () => undefined,
  };
}

/** The server's message or the socket error code; never the connection string. */
function pgReason(err: unknown): string {
  const e = err as Error & { code?: string };
  if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) return `${e.message} (SQLSTATE ${e.code})`;
  return e.code ?? e.message.replace(/postgres(ql)?:\/\/\S+/gi, "<connection string>");
}
