import { judgeAnalysis } from "../../core/rollout/judge-analysis.ts";
import type { TargetEffect, RolloutEffects } from "../../core/rollout/drive-rollout.ts";
import type {
  AnalysisAgreement,
  AnalysisSample,
  AnalysisVerdict,
  Colour,
  RolloutEffect,
  RolloutEvent,
  RolloutState,
} from "../../core/rollout/rollout-types.ts";
import { probeReady, sleep } from "../../adapters/deploy-local/probe-ready.ts";
import { preSwitchSmoke } from "../../adapters/deploy-local/pre-switch-smoke.ts";
import { readReferenceRows } from "../../adapters/deploy-local/read-reference-rows.ts";
import { fetchSmokeRequests, runSmokeRequests } from "../../adapters/deploy-local/run-smoke-requests.ts";
import { SMOKE_HEADER, SMOKE_SLOT_HEADER } from "./router.ts";
import type { Router } from "./router.ts";
import type { SlotPool } from "./slot-pool.ts";
import { SlotStartError } from "./spawn-slot.ts";
import type { DeployStateStore } from "./state-store.ts";

/** The local target's half of a rollout: runs each effect on slot processes and the router. */
export class LocalEffects implements RolloutEffects {
  /** When the new slot was asked to start: start-up and readiness share one timeout. */
  private slotRequestedAt = Date.now();
  private readonly o: {
    router: Router;
    pool: SlotPool;
    store: DeployStateStore;
    smokeToken: string;
    state: () => RolloutState;
  };

  constructor(o: LocalEffects["o"]) {
    this.o = o;
  }

  async run(effect: TargetEffect, signal: AbortSignal): Promise<RolloutEvent | null> {
    switch (effect.type) {
      case "start-slot":
        return this.startSlot(effect.colour, effect.target, signal);
      case "probe-ready":
        return this.probe(effect.colour, effect.timeoutMs, effect.intervalMs, signal);
      case "run-analysis":
        return this.analyse(effect, signal);
      case "switch-traffic": {
        const slot = this.o.pool.get(effect.colour);
        this.o.router.switchTo(effect.colour);
        if (slot)
          this.o.store.live = { colour: effect.colour, ...slot.target, since: new Date().toISOString() };
        return { type: "switched", colour: effect.colour };
      }
      case "set-traffic":
        try {
          this.o.router.setTraffic({ colour: effect.colour, weight: effect.weight, mode: effect.mode });
        } catch (err) {
          return { type: "slot-crashed", colour: effect.colour, message: (err as Error).message };
        }
        return { type: "traffic-set", weight: effect.weight };
      case "stop-slot":
        await this.o.pool.stop(effect.colour);
        if (this.o.store.live?.colour === effect.colour) this.o.store.live = null;
        return { type: "slot-stopped", colour: effect.colour };
      case "record-status":
        return null;
    }
  }

  private async startSlot(
    colour: Colour,
    target: Extract<RolloutEffect, { type: "start-slot" }>["target"],
    signal: AbortSignal,
  ): Promise<RolloutEvent | null> {
    this.slotRequestedAt = Date.now();
    // The old colour kept warm through the scale-down delay already runs it: no restart.
    const warm = this.o.pool.warm(colour, target);
    if (warm) return { type: "slot-started", colour, url: warm.url };
    try {
      const slot = await this.o.pool.start(colour, target, signal);
      return { type: "slot-started", colour, url: slot.url };
    } catch (err) {
      if (err instanceof SlotStartError && err.kind === "aborted") return null;
      const message = `slot ${colour} ${(err as Error).message}`;
      if (err instanceof SlotStartError && err.kind === "timeout")
        return { type: "ready-timeout", colour, message };
      return { type: "slot-crashed", colour, message };
    }
  }

  private async probe(
    colour: Colour,
    timeoutMs: number,
    intervalMs: number,
    signal: AbortSignal,
  ): Promise<RolloutEvent | null> {
    const slot = this.o.pool.get(colour);
    if (!slot) return { type: "slot-crashed", colour, message: `slot ${colour} is gone` };
    const left = Math.max(0, timeoutMs - (Date.now() - this.slotRequestedAt));
    const r = await probeReady({ url: slot.url, timeoutMs: left, intervalMs, signal });
    if (r.ready) return { type: "slot-ready", colour };
    const seconds = Math.round(timeoutMs / 100) / 10;
    const tail = slot.stderrTail();
    return {
      type: "ready-timeout",
      colour,
      message: `slot ${colour} was not ready within ${seconds} s (last answer: ${r.lastStatus})${tail ? `: ${tail}` : ""}`,
    };
  }

  private async analyse(
    effect: Extract<RolloutEffect, { type: "run-analysis" }>,
    signal: AbortSignal,
  ): Promise<RolloutEvent | null> {
    const slot = this.o.pool.get(effect.colour);
    if (!slot)
      return { type: "slot-crashed", colour: effect.colour, message: `slot ${effect.colour} is gone` };
    const timeoutMs = Math.max(1_000, effect.thresholds.maxLatencyP95Ms * 20);
    let verdict: AnalysisVerdict;
    if (effect.stage === "pre-switch") {
      const active = this.o.state().active;
      const r = await preSwitchSmoke({
        candidate: slot,
        live: active ? this.o.pool.get(active.colour) : null,
        count: effect.requests,
        timeoutMs,
        tolerance: effect.thresholds.agreementTolerance ?? 0,
        compare: (effect.thresholds.minAgreement ?? 0) > 0,
        signal,
      });
      verdict = judgeAnalysis(r.samples, effect.thresholds, r.agreement);
      return verdict.pass
        ? { type: "analysis-passed", stage: "pre-switch", verdict }
        : { type: "analysis-failed", stage: "pre-switch", verdict };
    }
    const since = Date.now();
    // Through the router: these requests and real traffic both land in the slot's samples.
    await this.smoke(slot.target, effect.colour, effect.requests, effect.durationMs, timeoutMs, signal);
    await sleep(since + effect.durationMs - Date.now(), signal);
    if (signal.aborted) return null;
    const samples = this.o.router.samples(effect.colour, since);
    if (effect.stage === "step") {
      verdict = judgeAnalysis(samples, effect.thresholds, this.shadowAgreement(effect.colour));
      return verdict.pass ? { type: "step-passed", verdict } : { type: "step-failed", verdict };
    }
    verdict = judgeAnalysis(samples, effect.thresholds);
    return verdict.pass ? { type: "post-check-passed", verdict } : { type: "post-check-failed", verdict };
  }

  /** In a shadow, how far its answers agreed with the stable answers clients got (judged like the reference rows). */
  private shadowAgreement(colour: Colour): AnalysisAgreement | undefined {
    const shadow = this.o.router.variantStats(colour)?.shadow;
    if (!shadow || shadow.compared === 0 || shadow.kind === null) return undefined;
    const agreement: AnalysisAgreement = {
      kind: shadow.kind,
      rows: shadow.compared,
      agreed: shadow.agreed,
      rate: shadow.agreed / shadow.compared,
    };
    if (shadow.meanAbsDifference !== null) agreement.maxDifference = shadow.meanAbsDifference;
    return agreement;
  }

  private async smoke(
    target: { name: string; modelDir: string },
    colour: Colour,
    count: number,
    spreadMs: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<AnalysisSample[]> {
    if (count === 0) return [];
    const url = this.o.router.url;
    const reference = await readReferenceRows(target.modelDir);
    const built = await fetchSmokeRequests({ url, name: target.name, timeoutMs, reference });
    if (!built.ok) return [{ status: null, latencyMs: 0, error: built.message }];
    // The router sends them to `colour`, whatever share of client traffic it has.
    const headers = { [SMOKE_HEADER]: this.o.smokeToken, [SMOKE_SLOT_HEADER]: colour };
    const r = await runSmokeRequests({
      url,
      name: target.name,
      requests: built.requests,
      count,
      spreadMs,
      timeoutMs,
      signal,
      headers,
    });
    return r.samples;
  }
}
