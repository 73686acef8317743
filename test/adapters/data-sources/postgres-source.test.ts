import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { DataSourceConfigSchema } from "../../../core/config/data-sources-schema.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { HAS_POSTGRES, startPostgresServer, type PostgresServer } from "../../support/postgres-server.ts";
import { dataConfig, makeDataRepo, removeRepo } from "./data-fixtures.ts";

let server: PostgresServer;
let repo: string;

describe.skipIf(!HAS_POSTGRES)(
  "postgres sources (real PostgreSQL 15; skipped: /usr/lib/postgresql/15/bin absent)",
  () => {
    beforeAll(async () => {
      server = await startPostgresServer();
      repo = await makeDataRepo();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(
        "create table penguins (id serial primary key, island text not null, mass numeric(6,1), year int8, seen date, ok boolean)",
      );
      await client.query(
        `insert into penguins (island, mass, year, seen, ok)
       select (array['biscoe','dream','torgersen'])[1 + g % 3], 3000 + g * 0.5, 2007 + g % 3, date '2008-01-01' + g, g % 2 = 0
       from generate_series(1, 2500) g`,
      );
      await client.end();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      await removeRepo(repo);
    });

    const source = (query: string, params: unknown[] = [], url = "${DATABASE_URL}") =>
      DataSourceConfigSchema.parse({ kind: "postgres", url, query, params, batchRows: 700 });

    it("streams a query with bound parameters through a cursor, numbers as numbers", async () => {
      const data = await pullData({
        repoDir: repo,
        data: dataConfig([
          source(
            "select island, mass, year, seen, ok from penguins where year >= $1 and island <> $2 order by id",
            [2008, "dream"],
          ),
        ]),
        env: { DATABASE_URL: server.url },
        snapshotsDir: null,
      });
      expect(data.rows).toHaveLength(833);
      expect(data.rows[0]).toEqual({
        island: "torgersen",
        mass: 3001,
        year: 2009,
        seen: "2008-01-03",
        ok: true,
      });
      expect(data.snapshot.columns.map((c) => [c.name, c.type])).toEqual([
        ["island", "string"],
        ["mass", "number"],
        ["year", "integer"],
        ["seen", "string"],
        ["ok", "boolean"],
      ]);
      const port = new URL(server.url).port;
      expect(data.snapshot.parts[0]!.source).toEqual({
        kind: "postgres",
        server: `127.0.0.1:${port}/postgres`,
        query:
          "select island, mass, year, seen, ok from penguins where year >= $1 and island <> $2 order by id",
      });
      expect(data.origin(832)).toEqual({ source: `postgres 127.0.0.1:${port}/postgres`, row: 833 });
    });

    it.each([
      ["select * from nowhere", {}, "data-postgres-query-failed"],
      [
        "select 1",
        { DATABASE_URL: "postgres://postgres:pw-not-shown@127.0.0.1:1/postgres" },
        "data-postgres-connect-failed",
      ],
      ["select 1", {}, "data-env-missing"],
    ])("refuses %s with %s, never printing the connection string", async (query, env, code) => {
      const err = await pullData({
        repoDir: repo,
        data: dataConfig([source(query)]),
        env: code === "data-env-missing" ? {} : { DATABASE_URL: server.url, ...env },
        snapshotsDir: null,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelshipError);
      expect((err as ModelshipError).code).toBe(code);
      expect((err as Error).message).not.toContain("pw-not-shown");
      expect((err as Error).message).not.toContain("postgres://");
    });

    it("accepts the connection string only from the environment", () => {
      const parsed = DataSourceConfigSchema.safeParse({
        kind: "postgres",
        url: "postgres://u:pw@h/db",
        query: "select 1",
      });
      expect(parsed.success).toBe(false);
    });
  },
);
