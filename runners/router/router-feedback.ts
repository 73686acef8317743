import type { IncomingMessage, ServerResponse } from "node:http";
import { predictionOf } from "../../core/rollout/compare-answers.ts";
import { errorAnswer, sendError, type OwnAnswer } from "./error-answer.ts";
import { FeedbackBodySchema } from "./feedback-store.ts";
import { CAPTURE_BYTES, readLimited } from "./read-body.ts";
import { variantOf, type RouterContext } from "./router-context.ts";
import { slotKey, type Upstream } from "./upstream.ts";

/** Remembers what a slot predicted for an answered request with an `id`, for its feedback later. */
export function remember(ctx: RouterContext, from: Upstream, json: unknown): void {
  const id = (json as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string") return;
  const prediction = predictionOf(json);
  if (prediction) ctx.feedback.remember(id, slotKey(from), prediction);
}

/** `POST .../feedback` on a proxied connection. */
export async function receiveFeedback(
  ctx: RouterContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let text: string;
  try {
    text = (await readLimited(req, CAPTURE_BYTES)).toString("utf8");
  } catch (err) {
    return sendError(ctx, res, 400, "feedback-invalid", `feedback body: ${(err as Error).message}`);
  }
  const a = feedbackAnswer(ctx, text);
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

/** Scores one feedback body against the remembered answers. */
export function feedbackAnswer(ctx: RouterContext, text: string): OwnAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return errorAnswer(400, "feedback-invalid", `feedback body: ${(err as Error).message}`);
  }
  const parsed = FeedbackBodySchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const where = i && i.path.length > 0 ? `${i.path.join(".")}: ` : "";
    return errorAnswer(400, "feedback-invalid", `feedback body: ${where}${i?.message ?? "invalid"}`);
  }
  const scored = ctx.feedback.score(parsed.data);
  if (scored === null) {
    return errorAnswer(
      404,
      "feedback-unknown-id",
      `no answered inference request with id '${parsed.data.id}' (send the V2 request's own "id"; ids are kept for the last 100,000 answers, and scored once)`,
    );
  }
  const body = JSON.stringify({
    id: parsed.data.id,
    scored: scored.map((x) => {
      const up = upstreamOfKey(ctx, x.slot);
      return { ...x, variant: up ? variantOf(ctx, up) : null };
    }),
  });
  return {
    status: 200,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    body,
  };
}

function upstreamOfKey(ctx: RouterContext, key: string): Upstream | null {
  for (const c of ["blue", "green"] as const) {
    const s = ctx.slots[c];
    if (s && slotKey(s) === key) return s;
  }
  return null;
}
