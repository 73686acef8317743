import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { connectLocalDeployment } from "../../adapters/deploy-local/connect-local-deployment.ts";
import {
  adminFilePath,
  driftReportPath,
  readDeployState,
} from "../../adapters/deploy-local/deploy-state-file.ts";
import type { DeploymentControl } from "../../adapters/deploy-local/deployment-control.ts";
import { ModelshipError } from "../../core/errors.ts";

export type DeploymentRoutesOptions = {
  stateDir: string;
  env: string;
  /** Runs `rollback` or `deploy VERSION` the way the CLI does (registry, alias), on `control`. */
  deployVersion: (control: DeploymentControl, kind: "deploy" | "rollback", ref?: string) => Promise<unknown>;
  /** How often the event stream sends the status (default 1 s). */
  intervalMs?: number;
};

/** The `status --json` document: the router's answer, or the state file when no router runs. */
async function readStatus(o: DeploymentRoutesOptions): Promise<Record<string, unknown>> {
  try {
    const control = await connectLocalDeployment(o.stateDir, o.env);
    return { ...(await control.status()), serving: true };
  } catch (err) {
    if (!(err instanceof ModelshipError && err.code === "router-not-running")) throw err;
    const state = await readDeployState(o.stateDir, o.env, new Date());
    return { ...state, traffic: [], rollout: null, serving: false };
  }
}

/** Whether the request carries the router's admin token (constant-time comparison). */
async function authorised(req: FastifyRequest, o: DeploymentRoutesOptions): Promise<boolean> {
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!given) return false;
  let token: string;
  try {
    token = (JSON.parse(await readFile(adminFilePath(o.stateDir, o.env), "utf8")) as { token: string }).token;
  } catch {
    return false;
  }
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

/**
 * `GET /api/deployment` (the `status --json` document), `GET /api/events` (the same document as
 * server-sent events, once per interval), and `POST /api/actions/{rollback,promote,abort,deploy}`
 * behind the router's admin token (`Authorization: Bearer <token>` from
 * `.modelship/deploy/<env>.admin.json`): without it the page is read-only.
 */
export function registerDeploymentRoutes(app: FastifyInstance, o: DeploymentRoutesOptions): void {
  app.get("/api/deployment", async () => readStatus(o));
  // The latest `modelship drift --env` report on this environment's traffic; null before the first.
  app.get("/api/drift", async () => {
    try {
      return JSON.parse(await readFile(driftReportPath(o.stateDir, o.env), "utf8")) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  });
  app.get("/api/events", (req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    let last = "";
    const send = async () => {
      const text = JSON.stringify(await readStatus(o).catch((err: unknown) => ({ error: String(err) })));
      if (text !== last) reply.raw.write(`event: deployment\ndata: ${text}\n\n`);
      else reply.raw.write(`: keep-alive\n\n`);
      last = text;
    };
    void send();
    const timer = setInterval(() => void send(), o.intervalMs ?? 1000);
    req.raw.on("close", () => clearInterval(timer));
  });
  app.post<{ Params: { action: string }; Body: { version?: unknown } | undefined }>(
    "/api/actions/:action",
    async (req, reply) => {
      if (!(await authorised(req, o))) {
        return fail(reply, 401, "admin-token-required", "actions need the router's admin token");
      }
      const control = await connectLocalDeployment(o.stateDir, o.env);
      const { action } = req.params;
      if (action === "promote") return control.promote({ full: true });
      if (action === "abort") return control.abort();
      if (action === "rollback") return o.deployVersion(control, "rollback");
      if (action === "deploy") {
        const version = req.body?.version;
        if (typeof version !== "string" || version === "") {
          return fail(reply, 400, "option-invalid", "deploy needs a `version` to deploy");
        }
        return o.deployVersion(control, "deploy", version);
      }
      return fail(reply, 404, "unknown-action", `no action '${action}' (rollback, promote, abort, deploy)`);
    },
  );
}
