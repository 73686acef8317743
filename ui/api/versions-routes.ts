import type { FastifyInstance } from "fastify";
import type { Registry } from "../../core/registry/registry-port.ts";

/**
 * `GET /api/versions`: the `models list --json` document; `GET /api/versions/:version` one
 * version with the history of every alias it carries or carried (which version was live when).
 */
export function registerVersionsRoutes(
  app: FastifyInstance,
  o: { openRegistry: () => Promise<Registry>; name: string; aliases: readonly string[] },
): void {
  app.get("/api/versions", async () => (await o.openRegistry()).list(o.name));
  app.get<{ Params: { version: string } }>("/api/versions/:version", async (req, reply) => {
    const registry = await o.openRegistry();
    const version = await registry.get(o.name, req.params.version);
    if (!version) {
      return reply.code(404).send({
        error: { code: "version-not-found", message: `${o.name} has no version ${req.params.version}` },
      });
    }
    const names = [...new Set([...o.aliases, ...version.aliases])];
    const history = Object.fromEntries(
      await Promise.all(names.map(async (a) => [a, await registry.aliasHistory(o.name, a)] as const)),
    );
    return { ...version, aliasHistory: history };
  });
}
