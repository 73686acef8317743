import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance } from "fastify";
import { localTarget } from "../adapters/deploy-local/local-target.ts";
import { openGitRegistry } from "../adapters/registry-git/git-registry.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry-port.ts";
import { planDeployVersion } from "../core/rollout/deploy-version.ts";
import { registerDeploymentRoutes } from "./api/deployment-routes.ts";
import { registerRunsRoutes } from "./api/runs-routes.ts";
import { registerVersionsRoutes } from "./api/versions-routes.ts";
import { buildWebAssets } from "./build-web.ts";

export type UiOptions = {
  repoDir: string;
  config: Config;
  env: string;
  port: number;
  host?: string;
  /** Run directories relative to repoDir (default `.modelship/runs`). */
  runsDir?: string;
  /** Deployment state directory (default `<repoDir>/.modelship/deploy`). */
  stateDir?: string;
  intervalMs?: number;
};

export type UiServer = { url: string; close(): Promise<void> };

/** Scripts and styles come from this server only; nothing inline, nothing from elsewhere. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join("; ");

/** The packaged bundle (build/ui/static), or — in a source checkout — one built now into a temp dir. */
async function webAssets(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const packaged = join(dirname(fileURLToPath(import.meta.url)), "static");
  if (existsSync(join(packaged, "index.html"))) return { dir: packaged, cleanup: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), "modelship-ui-"));
  await buildWebAssets(dir);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function errorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ModelshipError) {
      const status = err.failedCheck ? 409 : 400;
      void reply
        .code(status)
        .send({ error: { code: err.code, message: err.message, problems: err.problems } });
      return;
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    void reply.code(status).send({ error: { code: "internal-error", message: (err as Error).message } });
  });
}

/**
 * `modelship ui`: one page over the workspace's runs, the registry and the live deployment,
 * served with its JSON API (the CLI's `--json` documents) on loopback by default.
 */
export async function startUi(o: UiOptions): Promise<UiServer> {
  const { app, cleanup } = await buildUiApp(o);
  const address = await app.listen({ port: o.port, host: o.host ?? "127.0.0.1" });
  return {
    url: address,
    async close() {
      await app.close();
      await cleanup();
    },
  };
}

/**
 * The same page as a request handler, for the router's admin port (`modelship up`): every path
 * outside `/v1/` goes to it; its actions still need the admin token. Built on the first request,
 * so a router nobody looks at pays nothing for it.
 */
export function uiRequestHandler(o: Omit<UiOptions, "port" | "host">): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
} {
  let built: Promise<{ app: FastifyInstance; cleanup: () => Promise<void> }> | undefined;
  const ready = async () => {
    built ??= buildUiApp(o).then(async (b) => {
      await b.app.ready();
      return b;
    });
    return built;
  };
  return {
    handle: (req, res) => {
      ready().then(
        ({ app }) => app.routing(req, res),
        (err: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: "internal-error", message: String(err) } }));
        },
      );
    },
    async close() {
      if (!built) return;
      const { app, cleanup } = await built;
      await app.close();
      await cleanup();
    },
  };
}

async function buildUiApp(
  o: Omit<UiOptions, "port" | "host">,
): Promise<{ app: FastifyInstance; cleanup: () => Promise<void> }> {
  const assets = await webAssets();
  const app = Fastify({ logger: false });
  app.addHook("onSend", async (_req, reply) => {
    reply.header("content-security-policy", CSP);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
  });
  errorHandler(app);
  let registry: Promise<Registry> | undefined;
  const openRegistry = () =>
    (registry ??= openGitRegistry({ repoDir: o.repoDir, tagFormat: o.config.registry.tagFormat }));
  const name = o.config.model.name;
  registerRunsRoutes(app, { workspace: o.repoDir, runsDir: o.runsDir ?? ".modelship/runs" });
  registerVersionsRoutes(app, { openRegistry, name, aliases: [o.env] });
  registerDeploymentRoutes(app, {
    stateDir: o.stateDir ?? join(o.repoDir, ".modelship", "deploy"),
    env: o.env,
    ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }),
    deployVersion: async (control, kind, ref) => {
      const reg = await openRegistry();
      const target = localTarget({ control, registry: reg, home: o.repoDir });
      const plan = await planDeployVersion({
        registry: reg,
        target,
        name,
        environment: o.env,
        kind,
        ref,
        now: () => new Date(),
        note: "dashboard",
      });
      const result = await plan.run();
      return { ...result.rollout, aliasError: result.aliasError };
    },
  });
  await app.register(fastifyStatic, { root: assets.dir, prefix: "/", index: "index.html" });
  return { app, cleanup: assets.cleanup };
}
