import type { IncomingMessage, ServerResponse } from "node:http";
import { sendError } from "./error-answer.ts";
import { handoffTarget } from "./handoff-steering.ts";
import { serveOwn } from "./own-endpoints.ts";
import { isSmoke, pick, shadowTarget, smokeTarget } from "./pick-upstream.ts";
import { proxyRequest, refuseTooLarge } from "./proxy-request.ts";
import type { RouterContext } from "./router-context.ts";

/** Every request on a connection the router serves: its own endpoints, else proxied to the slot it routes to. */
export function handleRequest(ctx: RouterContext, req: IncomingMessage, res: ServerResponse): void {
  // While the live slot takes connections, proxied clients reconnect after this answer and are handed to it.
  if (handoffTarget(ctx) !== null && !isSmoke(ctx, req)) res.shouldKeepAlive = false;
  if (serveOwn(ctx, req, res, req.url ?? "/")) return;
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > ctx.limits.maxBodyBytes) return refuseTooLarge(ctx, req, res);
  const smoke = isSmoke(ctx, req);
  const up = smoke ? smokeTarget(ctx, req) : pick(ctx, req);
  if (up === null) {
    sendError(ctx, res, 503, "no-version-deployed", "no model version is deployed");
    return;
  }
  const shadowTo = smoke ? null : shadowTarget(ctx, up);
  proxyRequest(ctx, up, req, res, smoke ? "smoke" : "client", shadowTo);
}
