import type { IncomingMessage, ServerResponse } from "node:http";
import { errorAnswer, sendError, type OwnAnswer } from "./error-answer.ts";
import { FEEDBACK_PATH } from "./handoff-messages.ts";
import type { RouterContext } from "./router-context.ts";
import { feedbackAnswer, receiveFeedback } from "./router-feedback.ts";

/**
 * Answers the router's own endpoints (`GET /metrics`, `POST .../feedback`) on a proxied
 * connection; false for every other request, which goes to a slot.
 */
export function serveOwn(
  ctx: RouterContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
): boolean {
  if (req.method === "GET" && (url === "/metrics" || url.startsWith("/metrics?"))) {
    serveMetrics(ctx, res);
    return true;
  }
  if (req.method === "POST" && FEEDBACK_PATH.test(url)) {
    void receiveFeedback(ctx, req, res);
    return true;
  }
  return false;
}

/** The router's own endpoints, answered for a request that came on a handed connection. */
export async function answerOwn(
  ctx: RouterContext,
  method: string,
  url: string,
  body: string,
): Promise<OwnAnswer> {
  if (method === "POST" && FEEDBACK_PATH.test(url)) return feedbackAnswer(ctx, body);
  try {
    const text = await ctx.metrics.registry.metrics();
    return { status: 200, headers: { "content-type": ctx.metrics.registry.contentType }, body: text };
  } catch (err) {
    return errorAnswer(500, "metrics-failed", String(err));
  }
}

function serveMetrics(ctx: RouterContext, res: ServerResponse): void {
  void ctx.metrics.registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": ctx.metrics.registry.contentType });
      res.end(text);
    },
    (err: unknown) => sendError(ctx, res, 500, "metrics-failed", String(err)),
  );
}
