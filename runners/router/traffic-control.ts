import type { Colour, Phase } from "../../core/rollout/rollout-types.ts";
import { attach, detach, refreshHandoff } from "./handoff-steering.ts";
import type { RouterContext } from "./router-context.ts";
import type { SlotUpstream, TrafficSplit } from "./router-types.ts";
import { createUpstream, resetWindow } from "./upstream.ts";

/** Registers (or with null, forgets) the upstream of a colour. Never changes which colour is live. */
export function setSlot(ctx: RouterContext, colour: Colour, upstream: SlotUpstream | null): void {
  const old = ctx.slots[colour];
  if (upstream === null) {
    if (old && ctx.live === old) ctx.live = null;
    if (old && ctx.fallback === old) ctx.fallback = null;
    if (old && (ctx.split?.to === old || ctx.live === null)) ctx.split = null;
    ctx.slots[colour] = null;
  } else {
    const next = createUpstream(colour, upstream);
    attach(ctx, next);
    ctx.slots[colour] = next;
    if (old && ctx.live === old) ctx.live = next;
    if (old && ctx.split?.to === old) ctx.split = { ...ctx.split, to: next };
  }
  old?.agent.destroy();
  detach(ctx, old);
  changed(ctx);
}

/** Sends every new request to `colour` (null: to none) and ends any split. */
export function switchTo(ctx: RouterContext, colour: Colour | null): void {
  if (colour === null) {
    ctx.live = null;
    ctx.fallback = null;
    ctx.split = null;
    changed(ctx);
    return;
  }
  const next = ctx.slots[colour];
  if (!next) throw new Error(`cannot switch to ${colour}: no slot registered`);
  if (ctx.live !== next || ctx.split !== null) ctx.metrics.switches.inc();
  if (ctx.live !== next) ctx.fallback = ctx.live;
  ctx.live = next;
  ctx.split = null;
  changed(ctx);
}

/** Splits client traffic with (or copies it to) another registered colour; the live colour stays the stable one. */
export function setTraffic(ctx: RouterContext, s: TrafficSplit): void {
  const to = ctx.slots[s.colour];
  const live = ctx.live;
  if (!to) throw new Error(`cannot split traffic to ${s.colour}: no slot registered`);
  if (!live || live === to)
    throw new Error(`cannot split traffic to ${s.colour}: it must not be the live colour`);
  if (!(s.weight >= 0 && s.weight <= 100)) throw new Error(`weight ${s.weight} is not a percent`);
  // A new split compares the variants from its own start; a canary's next weight keeps counting.
  const split = ctx.split;
  if (split === null || split.to !== to || split.mode !== s.mode) {
    resetWindow(live);
    resetWindow(to);
    ctx.feedback.reset();
  }
  ctx.split = { colour: s.colour, weight: s.weight, mode: s.mode, to };
  ctx.metrics.switches.inc();
  changed(ctx);
}

/** Shown on `/metrics` as `modelship_rollout_phase`; connections are handed off only outside a rollout. */
export function setPhase(ctx: RouterContext, phase: Phase | null): void {
  ctx.phase = phase;
  ctx.metrics.setPhase(phase);
  refreshHandoff(ctx);
}

/** After every switch, split, phase or slot change: the weights shown, and where connections go. */
export function changed(ctx: RouterContext): void {
  showWeights(ctx);
  refreshHandoff(ctx);
}

/** `modelship_traffic_weight` follows every switch and split. */
function showWeights(ctx: RouterContext): void {
  const { live, split: s, metrics } = ctx;
  metrics.weight.reset();
  if (!live) return;
  const stable = s?.mode === "split" ? 100 - s.weight : 100;
  metrics.weight.labels("stable", live.version).set(stable);
  if (s) metrics.weight.labels("candidate", s.to.version).set(s.mode === "split" ? s.weight : 0);
}
