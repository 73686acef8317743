import { Socket as NetSocket } from "node:net";
import type { Socket } from "node:net";
import { handOff, tell } from "./connection-handoff.ts";
import { countServed } from "./count-requests.ts";
import { isMessage, type ToRouter } from "./handoff-messages.ts";
import { answerOwn } from "./own-endpoints.ts";
import type { RouterContext } from "./router-context.ts";
import type { Upstream } from "./upstream.ts";

/** A connection the public port accepted: handed to the live slot in the steady state, else served here. */
export function acceptConnection(ctx: RouterContext, socket: Socket): void {
  const to = handoffTarget(ctx);
  const proxy = () => serveHere(ctx, socket);
  if (to === null || to.channel === null) return proxy();
  ctx.handedTo = to;
  handOff(
    to.channel,
    socket,
    { type: "modelship:conn", colour: to.colour, version: to.version, variant: "stable" },
    proxy,
  );
}

/** The live slot in the steady state (nothing moving, nothing split or copied), when it adopts connections. */
export function handoffTarget(ctx: RouterContext): Upstream | null {
  const live = ctx.live;
  if (!ctx.handoff || ctx.phase !== null || ctx.split !== null || live === null) return null;
  return live.handoffReady && live.channel?.connected === true ? live : null;
}

/** After any change of state: a slot that held handed connections and is no longer the target releases them. */
export function refreshHandoff(ctx: RouterContext): void {
  const next = handoffTarget(ctx);
  const handedTo = ctx.handedTo;
  if (handedTo !== null && handedTo !== next && handedTo.channel)
    tell(handedTo.channel, { type: "modelship:release" });
  if (handedTo !== next) ctx.handedTo = null;
}

/** Listens to a newly registered slot's channel (when it has one). */
export function attach(ctx: RouterContext, up: Upstream): void {
  if (!up.channel) return;
  const listener = (m: unknown, handle: unknown) => onSlotMessage(ctx, up, m, handle);
  up.onMessage = listener;
  up.channel.on("message", listener);
}

/** A slot replaced or forgotten: its messages are no longer heard. */
export function detach(ctx: RouterContext, up: Upstream | null | undefined): void {
  if (up?.channel && up.onMessage) up.channel.off("message", up.onMessage);
  if (ctx.handedTo === up) ctx.handedTo = null;
}

function onSlotMessage(ctx: RouterContext, up: Upstream, m: unknown, handle: unknown): void {
  if (!isMessage<ToRouter>(m)) return;
  if (m.type === "modelship:back" && handle instanceof NetSocket) {
    // A connection the slot gave back: it is served here from now on.
    serveHere(ctx, handle);
  } else if (m.type === "modelship:ready") {
    up.handoffReady = true;
  } else if (m.type === "modelship:served") {
    countServed(ctx, up, m.done);
  } else if (m.type === "modelship:ask" && up.channel) {
    const channel = up.channel;
    void answerOwn(ctx, m.method, m.url, m.body).then((a) =>
      tell(channel, { type: "modelship:answer", id: m.id, ...a }),
    );
  }
}

/** The router's HTTP server takes the connection; it was accepted paused, and reads from now on. */
function serveHere(ctx: RouterContext, socket: Socket): void {
  ctx.server.emit("connection", socket);
  socket.resume();
}
