import type { ServerResponse } from "node:http";
import { ROUTING_HEADERS } from "../../core/monitoring/prediction-record.ts";
import { ERROR_CODE_HEADER } from "../serve/serve-error.ts";
import { variantOf, type RouterContext } from "./router-context.ts";
import type { Upstream } from "./upstream.ts";

/** A whole answer of the router's own, ready to write or to pass over a slot's channel. */
export type OwnAnswer = { status: number; headers: Record<string, string>; body: string };

/** A JSON error answer `{error, code}`, with the reason code in its header too. */
export function errorAnswer(status: number, code: string, error: string): OwnAnswer {
  const body = JSON.stringify({ error, code });
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    [ERROR_CODE_HEADER]: code,
  };
  return { status, headers, body };
}

/** Answers a client with the router's own error; with `up`, labelled with the slot it was meant for. */
export function sendError(
  ctx: RouterContext,
  res: ServerResponse,
  status: number,
  code: string,
  error: string,
  up?: Upstream,
): void {
  const { headers, body } = errorAnswer(status, code, error);
  if (up) {
    headers["x-modelship-slot"] = up.colour;
    headers[ROUTING_HEADERS.version] = up.version;
    headers[ROUTING_HEADERS.variant] = variantOf(ctx, up);
  }
  res.writeHead(status, headers);
  res.end(body);
}
