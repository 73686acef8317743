import type { FastifyInstance } from "fastify";
import { indexRuns, resolveRun } from "../../adapters/runs/index-runs.ts";
import { readRunDir } from "../../adapters/run-dir/read-run-dir.ts";
import { matchRunFilter } from "../../core/runs/match-run-filter.ts";
import { parseRunFilter } from "../../core/runs/parse-run-filter.ts";
import { join } from "node:path";

/**
 * `GET /api/runs[?filter=…]`: the `runs list --json` document (entries of the run index, newest
 * first), filtered with the same MLflow-style filter string; `GET /api/runs/:id` adds the run's
 * per-epoch history for learning curves.
 */
export function registerRunsRoutes(app: FastifyInstance, o: { workspace: string; runsDir: string }): void {
  app.get<{ Querystring: { filter?: string } }>("/api/runs", async (req) => {
    const index = await indexRuns({ workspace: o.workspace, runsDir: o.runsDir });
    const clauses = req.query.filter ? parseRunFilter(req.query.filter) : [];
    return {
      runs: index.runs.filter((r) => matchRunFilter(r, clauses)),
      unreadable: index.unreadable,
    };
  });
  app.get<{ Params: { id: string } }>("/api/runs/:id", async (req) => {
    const index = await indexRuns({ workspace: o.workspace, runsDir: o.runsDir });
    const entry = await resolveRun(index, req.params.id);
    const run = await readRunDir(join(o.workspace, entry.path));
    return { ...entry, history: run.history?.epochs ?? [] };
  });
}
