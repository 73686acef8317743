import { timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ModelshipError } from "../../core/errors.ts";
import { TrafficPlanSchema } from "../../core/rollout/traffic-plan.ts";
import type { DeploymentControl } from "../../adapters/deploy-local/deployment-control.ts";

/** Body of `POST /v1/deploy` on the admin surface. */
export const AdminDeployBodySchema = z
  .object({
    version: z.string().min(1),
    modelDir: z.string().min(1),
    name: z.string().min(1),
    plan: TrafficPlanSchema.optional(),
    waitForScaleDown: z.boolean().optional(),
  })
  .strict();

/** Body of `POST /v1/promote`: all the way (default), or `full: false` for the next canary step. */
export const AdminPromoteBodySchema = z
  .object({ full: z.boolean().optional(), waitForScaleDown: z.boolean().optional() })
  .strict();

/** Body of `POST /v1/rollback`. */
export const AdminRollbackBodySchema = z.object({ waitForScaleDown: z.boolean().optional() }).strict();

/**
 * The control surface other processes (the CLI) use: loopback only, every request must carry
 * `authorization: Bearer <token>`, where the token lives in a 0600 file next to the state file.
 */
/** Answers the requests outside `/v1/` (a page such as the dashboard); it does its own checks. */
export type AdminPage = (req: IncomingMessage, res: ServerResponse) => void;

export async function startAdminServer(opts: {
  control: DeploymentControl;
  token: string;
  /** Serves everything outside `/v1/` on the same loopback port, token or not. */
  page?: AdminPage;
}): Promise<{ url: string; close(): Promise<void> }> {
  const expected = Buffer.from(`Bearer ${opts.token}`);
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => sendError(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? "";
    if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote)) {
      return send(res, 403, {
        error: { code: "admin-forbidden", message: "the admin surface answers loopback only" },
      });
    }
    const url = new URL(req.url ?? "/", "http://x").pathname;
    if (opts.page && !url.startsWith("/v1/")) return opts.page(req, res);
    const given = Buffer.from(String(req.headers["authorization"] ?? ""));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return send(res, 401, {
        error: { code: "admin-unauthorized", message: "missing or wrong admin token" },
      });
    }
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET" && path === "/v1/status") return send(res, 200, await opts.control.status());
    if (req.method === "POST" && path === "/v1/deploy") {
      const body = parseBody(AdminDeployBodySchema, await readJson(req));
      const { waitForScaleDown, plan, ...target } = body;
      const wait = waitForScaleDown === undefined ? {} : { waitForScaleDown };
      return send(res, 200, await opts.control.deploy({ ...target, ...(plan ? { plan } : {}) }, wait));
    }
    if (req.method === "POST" && path === "/v1/promote") {
      const body = parseBody(AdminPromoteBodySchema, await readJson(req));
      return send(res, 200, await opts.control.promote(definedOnly(body)));
    }
    if (req.method === "POST" && path === "/v1/abort") {
      const body = parseBody(AdminRollbackBodySchema, await readJson(req));
      return send(res, 200, await opts.control.abort(definedOnly(body)));
    }
    if (req.method === "POST" && path === "/v1/rollback") {
      const body = parseBody(AdminRollbackBodySchema, await readJson(req));
      const wait = body.waitForScaleDown === undefined ? {} : { waitForScaleDown: body.waitForScaleDown };
      return send(res, 200, await opts.control.rollback(wait));
    }
    return send(res, 404, {
      error: { code: "admin-not-found", message: `no admin route ${req.method} ${path}` },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseBody<T>(schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ModelshipError({
    code: "admin-bad-request",
    message: `invalid request body: ${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid"}`,
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024)
      throw new ModelshipError({ code: "admin-bad-request", message: "body over 1 MiB" });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelshipError({ code: "admin-bad-request", message: "body is not JSON" });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof ModelshipError) {
    const status = err.code === "admin-bad-request" ? 400 : 409;
    return send(res, status, { error: { code: err.code, problems: err.problems } });
  }
  send(res, 500, {
    error: { code: "admin-internal", message: err instanceof Error ? err.message : String(err) },
  });
}

function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]-?: Exclude<T[K], undefined>;
  };
}
