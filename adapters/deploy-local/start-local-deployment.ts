import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { createRollout, rolloutSettings } from "../../core/rollout/create-rollout.ts";
import { HISTORY_LIMIT } from "../../core/rollout/deploy-state.ts";
import type { DeployState, LiveSlot, RolloutRecord } from "../../core/rollout/deploy-state.ts";
import { judgeAnalysis } from "../../core/rollout/judge-analysis.ts";
import { TERMINAL_PHASES } from "../../core/rollout/rollout-types.ts";
import type {
  AnalysisSample,
  AnalysisVerdict,
  Colour,
  Outcome,
  ReasonCode,
  RolloutEffect,
  RolloutEvent,
  RolloutState,
  RolloutTarget,
} from "../../core/rollout/rollout-types.ts";
import { transition } from "../../core/rollout/transition.ts";
import { SMOKE_HEADER, startRouter } from "../../runners/serve/router.ts";
import type { Router, SlotStats } from "../../runners/serve/router.ts";
import { startAdminServer } from "./admin-server.ts";
import {
  adminFilePath,
  DEFAULT_STATE_DIR,
  readDeployState,
  writeDeployState,
  writeFileAtomic,
} from "./deploy-state-file.ts";
import { probeReady, sleep } from "./probe-ready.ts";
import { preSwitchSmoke } from "./pre-switch-smoke.ts";
import { readReferenceRows } from "./read-reference-rows.ts";
import { fetchSmokeRequests, runSmokeRequests } from "./run-smoke-requests.ts";
import { SlotStartError, spawnSlot } from "./spawn-slot.ts";
import type { SlotProcess } from "./spawn-slot.ts";

/** The model version to bring up: its V2 name, its version label and its directory (or .onnx file). */
export type DeployRequest = RolloutTarget;

/** How a rollout ended, with every transition it went through. */
export type RolloutResult = RolloutRecord & { outcome: Outcome; reason: ReasonCode; message: string };

/** What `status` reports: the persisted state plus live request counters per colour. */
export type DeploymentStatus = DeployState & {
  url: string;
  traffic: { blue: SlotStats | null; green: SlotStats | null };
};

export type RolloutWaitOptions = {
  /** Resolve only after the old colour has been stopped (default: once traffic is switched and checked). */
  waitForScaleDown?: boolean;
};

/** The operations the CLI drives, in process or through the admin surface. */
export type DeploymentControl = {
  deploy(req: DeployRequest, opts?: RolloutWaitOptions): Promise<RolloutResult>;
  rollback(opts?: RolloutWaitOptions): Promise<RolloutResult>;
  status(): Promise<DeploymentStatus>;
};

export type LocalDeployment = DeploymentControl & {
  /** The public address clients send inference requests to. */
  url: string;
  /** The loopback admin address, or null when the admin surface is off. */
  adminUrl: string | null;
  /** Stops both slots, the router and the admin surface. */
  close(): Promise<void>;
};

export type LocalDeploymentOptions = {
  env: string;
  port: number;
  host?: string;
  stateDir?: string;
  config: Config["deploy"];
  /** Inference server entry to run in each slot (default runners/serve/main.ts). */
  serverEntry?: string;
  serverArgs?: readonly string[];
  /** Start the token-guarded admin surface other processes use (default true). */
  admin?: boolean;
  /** Bring back the version the state file says was live (default false). */
  restore?: boolean;
  /** Called for every event the rollout machine handles, accepted or not. */
  onTransition?: (rolloutId: string, entry: RolloutRecord["timeline"][number]) => void;
};

type Run = {
  state: RolloutState;
  record: RolloutRecord;
  phaseAbort: AbortController;
  timer: ReturnType<typeof setTimeout> | null;
  queue: RolloutEvent[];
  processing: boolean;
  from: RolloutTarget | null;
  previousBefore: RolloutTarget | null;
  /** When the new slot was asked to start: start-up and readiness share one timeout. */
  slotRequestedAt: number;
  promoted: boolean;
  waiters: Array<{ terminal: boolean; resolve: (r: RolloutResult) => void }>;
  finished: Promise<void>;
  resolveFinished: () => void;
};

const SLOT_STOP_GRACE_MS = 10_000;
const DRAIN_WAIT_MS = 30_000;

/** Starts the router for one environment and returns the handle that runs blue-green rollouts on it. */
export async function startLocalDeployment(opts: LocalDeploymentOptions): Promise<LocalDeployment> {
  const env = opts.env;
  const stateDir = resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
  const settings = rolloutSettings(opts.config);
  const loaded = await readDeployState(stateDir, env, new Date());
  const restoreTarget = opts.restore && loaded.active ? pickTarget(loaded.active) : null;
  // Marks the router's own smoke requests, so their 4xx answers count against the version.
  const smokeToken = randomBytes(16).toString("hex");
  const router: Router = await startRouter({
    port: opts.port,
    smokeToken,
    ...(opts.host ? { host: opts.host } : {}),
  }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    throw new ModelshipError({
      code: "port-in-use",
      message: `port ${opts.port} is already in use, so the ${env} router cannot listen on it`,
      hint: `Another router may already serve ${env} (see ${adminFilePath(stateDir, env)}); stop it or set deploy.port.`,
    });
  });

  const slots: Record<Colour, SlotProcess | null> = { blue: null, green: null };
  const starting: Partial<Record<Colour, Promise<unknown>>> = {};
  const stopping = new Set<SlotProcess>();
  let live: LiveSlot | null = null;
  let previous = loaded.previous;
  const history = [...loaded.history];
  let current: Run | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  const startedAt = new Date().toISOString();

  let writing: Promise<void> = Promise.resolve();
  function snapshot(): DeployState {
    const slotRecord = (c: Colour) => {
      const s = slots[c];
      return s ? { ...s.target, url: s.url, pid: s.pid } : null;
    };
    return {
      schemaVersion: 1,
      environment: env,
      updatedAt: new Date().toISOString(),
      router: closed ? null : { url: router.url, pid: process.pid, startedAt },
      active: live ?? (closed ? loaded.active : null),
      previous,
      slots: { blue: slotRecord("blue"), green: slotRecord("green") },
      current: current ? structuredClone(current.record) : null,
      history: history.slice(-HISTORY_LIMIT),
    };
  }
  function persist(): Promise<void> {
    const state = snapshot();
    writing = writing.then(
      () => writeDeployState(stateDir, state),
      () => writeDeployState(stateDir, state),
    );
    return writing;
  }

  function dispatch(run: Run, event: RolloutEvent): void {
    run.queue.push(event);
    if (!run.processing) pump(run);
  }

  function pump(run: Run): void {
    run.processing = true;
    while (run.queue.length > 0) {
      const event = run.queue.shift() as RolloutEvent;
      const from = run.state.phase;
      const t = transition(run.state, event);
      const entry: RolloutRecord["timeline"][number] = {
        at: new Date().toISOString(),
        event: describeEvent(event),
        from,
        to: t.next.phase,
        accepted: t.accepted,
      };
      if (!t.accepted) entry.note = t.rejection;
      else if (t.next.message && t.next.message !== run.state.message) entry.note = t.next.message;
      run.record.timeline.push(entry);
      opts.onTransition?.(run.record.id, entry);
      if (!t.accepted) continue;
      run.state = t.next;
      run.phaseAbort.abort();
      run.phaseAbort = new AbortController();
      run.record.phase = t.next.phase;
      run.record.outcome = t.next.outcome;
      run.record.reason = t.next.reason;
      run.record.message = t.next.message;
      for (const effect of t.effects) execute(run, effect);
      settle(run);
    }
    run.processing = false;
    // A failed write must not take the router (and the live slot) down; the next step rewrites it.
    persist().catch(() => undefined);
  }

  function settle(run: Run): void {
    const { outcome, phase } = run.state;
    if (outcome === "succeeded" && !run.promoted) {
      run.promoted = true;
      if (run.from) previous = run.from;
    }
    if (outcome !== "succeeded" && run.promoted) {
      // Promoted, then switched back: the old colour is live again and so is the old history.
      run.promoted = false;
      previous = run.previousBefore;
    }
    const terminal = TERMINAL_PHASES.includes(phase);
    if (terminal) {
      run.record.finishedAt = new Date().toISOString();
      if (run.timer) clearTimeout(run.timer);
      history.push(structuredClone(run.record));
      if (current === run) current = null;
      run.resolveFinished();
    }
    resolveWaiters(run);
  }

  /** Callers hear back once traffic is on the new version, or, when they asked, once all is done. */
  function resolveWaiters(run: Run): void {
    const terminal = TERMINAL_PHASES.includes(run.state.phase);
    if (!terminal && run.state.outcome !== "succeeded") return;
    const result = toResult(run.record);
    run.waiters = run.waiters.filter((w) => {
      if (w.terminal && !terminal) return true;
      w.resolve(result);
      return false;
    });
  }

  function execute(run: Run, effect: RolloutEffect): void {
    const signal = run.phaseAbort.signal;
    switch (effect.type) {
      case "start-slot":
        run.slotRequestedAt = Date.now();
        void startSlot(run, effect.colour, effect.target, signal);
        return;
      case "probe-ready":
        void probe(run, effect.colour, effect.timeoutMs, effect.intervalMs, signal);
        return;
      case "run-analysis":
        void analyse(run, effect, signal);
        return;
      case "switch-traffic": {
        const slot = slots[effect.colour];
        router.switchTo(effect.colour);
        if (slot) live = { colour: effect.colour, ...slot.target, since: new Date().toISOString() };
        dispatch(run, { type: "switched", colour: effect.colour });
        return;
      }
      case "schedule-timer":
        if (run.timer) clearTimeout(run.timer);
        run.timer = setTimeout(() => {
          run.timer = null;
          dispatch(run, { type: "drain-elapsed" });
        }, effect.ms);
        return;
      case "cancel-timer":
        if (run.timer) clearTimeout(run.timer);
        run.timer = null;
        return;
      case "stop-slot":
        void stopSlot(effect.colour).then(() =>
          dispatch(run, { type: "slot-stopped", colour: effect.colour }),
        );
        return;
      case "record-status":
        return;
    }
  }

  async function startSlot(
    run: Run,
    colour: Colour,
    target: RolloutTarget,
    signal: AbortSignal,
  ): Promise<void> {
    const task = (async () => {
      if (slots[colour]) await stopSlot(colour);
      return spawnSlot({
        colour,
        target,
        startTimeoutMs: settings.readyTimeoutMs,
        logFile: join(stateDir, `${env}.${colour}.log`),
        signal,
        ...(opts.serverEntry ? { serverEntry: opts.serverEntry } : {}),
        ...(opts.serverArgs ? { extraArgs: opts.serverArgs } : {}),
      });
    })();
    starting[colour] = task.catch(() => undefined);
    let slot: SlotProcess;
    try {
      slot = await task;
    } catch (err) {
      if (err instanceof SlotStartError && err.kind === "aborted") return;
      const message = `slot ${colour} ${(err as Error).message}`;
      if (err instanceof SlotStartError && err.kind === "timeout") {
        dispatch(run, { type: "ready-timeout", colour, message });
      } else {
        dispatch(run, { type: "slot-crashed", colour, message });
      }
      return;
    } finally {
      delete starting[colour];
    }
    slots[colour] = slot;
    router.setSlot(colour, { url: slot.url, version: target.version });
    void slot.exited.then(({ code, signal: sig }) => {
      if (stopping.has(slot)) return;
      const tail = slot.stderrTail();
      const message = `exited unexpectedly (${sig ?? `code ${code}`})${tail ? `: ${tail}` : ""}`;
      if (current) dispatch(current, { type: "slot-crashed", colour, message });
    });
    if (signal.aborted) return;
    dispatch(run, { type: "slot-started", colour, url: slot.url });
  }

  async function stopSlot(colour: Colour): Promise<void> {
    await starting[colour];
    const slot = slots[colour];
    if (!slot) return;
    stopping.add(slot);
    if (router.active()?.colour !== colour) await router.waitIdle(colour, DRAIN_WAIT_MS);
    if (router.active()?.colour === colour) router.switchTo(null);
    router.setSlot(colour, null);
    await slot.stop(SLOT_STOP_GRACE_MS);
    if (slots[colour] === slot) slots[colour] = null;
    if (live?.colour === colour) live = null;
  }

  async function probe(run: Run, colour: Colour, timeoutMs: number, intervalMs: number, signal: AbortSignal) {
    const slot = slots[colour];
    if (!slot) return;
    const left = Math.max(0, timeoutMs - (Date.now() - run.slotRequestedAt));
    const r = await probeReady({ url: slot.url, timeoutMs: left, intervalMs, signal });
    if (signal.aborted) return;
    if (r.ready) dispatch(run, { type: "slot-ready", colour });
    else {
      const seconds = Math.round(timeoutMs / 100) / 10;
      const tail = slot.stderrTail();
      dispatch(run, {
        type: "ready-timeout",
        colour,
        message: `slot ${colour} was not ready within ${seconds} s (last answer: ${r.lastStatus})${tail ? `: ${tail}` : ""}`,
      });
    }
  }

  async function analyse(
    run: Run,
    effect: Extract<RolloutEffect, { type: "run-analysis" }>,
    signal: AbortSignal,
  ) {
    const slot = slots[effect.colour];
    if (!slot) return;
    const timeoutMs = Math.max(1_000, effect.thresholds.maxLatencyP95Ms * 20);
    let verdict: AnalysisVerdict;
    if (effect.stage === "pre-switch") {
      const active = run.state.active ? slots[run.state.active.colour] : null;
      const r = await preSwitchSmoke({
        candidate: slot,
        live: active ?? null,
        count: effect.requests,
        timeoutMs,
        tolerance: effect.thresholds.agreementTolerance ?? 0,
        compare: (effect.thresholds.minAgreement ?? 0) > 0,
        signal,
      });
      verdict = judgeAnalysis(r.samples, effect.thresholds, r.agreement);
      run.record.analysis.preSwitch = verdict;
    } else {
      const since = Date.now();
      // Through the router: these requests and real traffic both land in the slot's samples.
      await smoke(router.url, slot, effect.requests, effect.durationMs, timeoutMs, signal);
      await sleep(since + effect.durationMs - Date.now(), signal);
      verdict = judgeAnalysis(router.samples(effect.colour, since), effect.thresholds);
      run.record.analysis.postSwitch = verdict;
    }
    if (signal.aborted) return;
    if (effect.stage === "pre-switch") {
      dispatch(
        run,
        verdict.pass
          ? { type: "analysis-passed", stage: "pre-switch", verdict }
          : { type: "analysis-failed", stage: "pre-switch", verdict },
      );
    } else {
      dispatch(
        run,
        verdict.pass ? { type: "post-check-passed", verdict } : { type: "post-check-failed", verdict },
      );
    }
  }

  async function smoke(
    url: string,
    slot: SlotProcess,
    count: number,
    spreadMs: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<AnalysisSample[]> {
    if (count === 0) return [];
    const name = slot.target.name;
    const reference = await readReferenceRows(slot.target.modelDir);
    const built = await fetchSmokeRequests({ url, name, timeoutMs, reference });
    if (!built.ok) return [{ status: null, latencyMs: 0, error: built.message }];
    const headers = { [SMOKE_HEADER]: smokeToken };
    const r = await runSmokeRequests({
      url,
      name,
      requests: built.requests,
      count,
      spreadMs,
      timeoutMs,
      signal,
      headers,
    });
    return r.samples;
  }

  function launch(kind: RolloutState["kind"], target: RolloutTarget): Run {
    const id = `${new Date().toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`;
    const state = createRollout({
      id,
      kind,
      target,
      active: live ? { colour: live.colour, version: live.version } : null,
      settings,
    });
    let resolveFinished = () => {};
    const finished = new Promise<void>((r) => (resolveFinished = r));
    const run: Run = {
      state,
      record: {
        id,
        kind,
        version: target.version,
        fromVersion: live?.version ?? null,
        colour: state.preview,
        phase: state.phase,
        outcome: null,
        reason: null,
        message: null,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        analysis: {},
        timeline: [],
      },
      phaseAbort: new AbortController(),
      timer: null,
      queue: [],
      processing: false,
      from: live ? pickTarget(live) : null,
      previousBefore: previous,
      slotRequestedAt: Date.now(),
      promoted: false,
      waiters: [],
      finished,
      resolveFinished,
    };
    current = run;
    dispatch(run, { type: "start" });
    return run;
  }

  function begin(
    kind: RolloutState["kind"],
    target: () => RolloutTarget,
    wait: RolloutWaitOptions,
  ): Promise<RolloutResult> {
    const next = chain.then(async () => {
      if (closed)
        throw new ModelshipError({
          code: "deployment-closed",
          message: `the ${env} router is shutting down`,
        });
      const t = target();
      await assertModelExists(t.modelDir);
      if (current) {
        dispatch(current, { type: "aborted", reason: "superseded", message: `superseded by ${t.version}` });
        await current.finished;
      }
      const run = launch(kind, t);
      return new Promise<RolloutResult>((resolve) => {
        run.waiters.push({ terminal: wait.waitForScaleDown === true, resolve });
        resolveWaiters(run);
      });
    });
    // The chain only orders starts; a failed start must not block the next one.
    chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  const control: DeploymentControl = {
    deploy(req, wait = {}) {
      const target = { ...req, modelDir: resolve(req.modelDir) };
      return begin("deploy", () => target, wait);
    },
    rollback(wait = {}) {
      return begin(
        "rollback",
        () => {
          if (!previous) {
            throw new ModelshipError({
              code: "no-previous-version",
              message: `nothing to roll back to in ${env}: no earlier version was live`,
              hint: "Deploy a version explicitly with `modelship deploy --version V`.",
            });
          }
          return previous;
        },
        wait,
      );
    },
    async status() {
      return {
        ...snapshot(),
        url: router.url,
        traffic: { blue: router.stats("blue"), green: router.stats("green") },
      };
    },
  };

  let adminClose: (() => Promise<void>) | null = null;
  let adminUrl: string | null = null;
  if (opts.admin !== false) {
    const token = randomBytes(32).toString("hex");
    const admin = await startAdminServer({ control, token });
    adminUrl = admin.url;
    adminClose = admin.close;
    await writeFileAtomic(
      adminFilePath(stateDir, env),
      `${JSON.stringify({ url: admin.url, token, routerUrl: router.url, pid: process.pid }, null, 2)}\n`,
      0o600,
    );
  }
  await persist();
  if (restoreTarget) await control.deploy(restoreTarget).catch(() => undefined);

  return {
    ...control,
    url: router.url,
    adminUrl,
    async close() {
      if (closed) return;
      closed = true;
      const run = current;
      if (run) {
        // Nothing will handle events any more: end the rollout record here so no caller waits forever.
        run.phaseAbort.abort();
        if (run.timer) clearTimeout(run.timer);
        run.queue.length = 0;
        run.processing = true;
        if (run.record.outcome === null) {
          run.record.outcome = live ? "rolled-back" : "failed";
          run.record.reason = "aborted";
          run.record.message = "the router stopped before the rollout finished";
        }
        run.record.finishedAt = new Date().toISOString();
        history.push(structuredClone(run.record));
        current = null;
        const result = toResult(run.record);
        for (const w of run.waiters.splice(0)) w.resolve(result);
        run.resolveFinished();
      }
      if (adminClose) {
        await adminClose();
        await rm(adminFilePath(stateDir, env), { force: true });
      }
      const lastLive = live;
      for (const c of ["blue", "green"] as const) {
        const s = slots[c];
        if (s) stopping.add(s);
      }
      await Promise.all(
        (["blue", "green"] as const).map(async (c) => {
          await starting[c];
          const s = slots[c];
          if (s) {
            stopping.add(s);
            await s.stop(SLOT_STOP_GRACE_MS);
          }
          slots[c] = null;
        }),
      );
      await router.close();
      live = null;
      loaded.active = lastLive ?? loaded.active;
      await persist();
    },
  };
}

function pickTarget(t: RolloutTarget): RolloutTarget {
  return { version: t.version, modelDir: t.modelDir, name: t.name };
}

function toResult(r: RolloutRecord): RolloutResult {
  return {
    ...structuredClone(r),
    outcome: r.outcome ?? "failed",
    reason: r.reason ?? "aborted",
    message: r.message ?? "",
  };
}

function describeEvent(e: RolloutEvent): string {
  return "colour" in e ? `${e.type} ${e.colour}` : e.type === "aborted" ? `aborted (${e.reason})` : e.type;
}

async function assertModelExists(path: string): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new ModelshipError({
      code: "model-not-found",
      message: `model ${path} does not exist`,
      hint: "Pass a run's model directory (containing model.onnx) or the .onnx file itself.",
    });
  }
}
