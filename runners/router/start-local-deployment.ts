import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { batchingArgs } from "../../core/config/batching-args.ts";
import type { Config, ServeBatching } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { createRollout, rolloutSettings } from "../../core/rollout/create-rollout.ts";
import type { RolloutRecord } from "../../core/rollout/deploy-state.ts";
import { createRolloutRecord, pickTarget, rolloutId } from "../../core/rollout/apply-event.ts";
import { driveRollout } from "../../core/rollout/drive-rollout.ts";
import type { RolloutDriver } from "../../core/rollout/drive-rollout.ts";
import { COLOURS, otherColour, SPLIT_PHASES, TERMINAL_PHASES } from "../../core/rollout/rollout-types.ts";
import type { RolloutState, RolloutTarget, TrafficPlan } from "../../core/rollout/rollout-types.ts";
import type { RolloutProgress, TrafficEntry } from "../../core/rollout/traffic-status.ts";
import { trafficPlan } from "../../core/rollout/traffic-plan.ts";
import { systemClock } from "../../adapters/clock/system-clock.ts";
import {
  adminFilePath,
  DEFAULT_STATE_DIR,
  writeFileAtomic,
} from "../../adapters/deploy-local/deploy-state-file.ts";
import type {
  DeploymentControl,
  DeployRequest,
  RolloutResult,
  RolloutWaitOptions,
} from "../../adapters/deploy-local/deployment-control.ts";
import { startRouter } from "./router.ts";
import { rolloutOutcomeLabel } from "./router-metrics.ts";
import type { Router } from "./router.ts";
import { startAdminServer, type AdminPage } from "./admin-server.ts";
import { LocalEffects } from "./local-effects.ts";
import { stopOrphanSlots } from "./stop-orphan-slots.ts";
import { SlotPool } from "./slot-pool.ts";
import { DeployStateStore, loadDeployState } from "./state-store.ts";
import { LiveSlotSupervisor } from "./supervise-live-slot.ts";

export type { DeploymentControl, DeployRequest, RolloutResult, RolloutWaitOptions };
export type { DeploymentStatus } from "../../adapters/deploy-local/deployment-control.ts";

export type LocalDeployment = DeploymentControl & {
  /** The public address clients send inference requests to. */
  url: string;
  /** The loopback admin address, or null when the admin surface is off. */
  adminUrl: string | null;
  /** Ends a running rollout (its new slot stops), then stops both slots, the router and the admin surface. */
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
  /** `serve.batching`, passed to every slot as the server's batching flags (default: the server's own). */
  batching?: ServeBatching;
  /** Start the token-guarded admin surface other processes use (default true). */
  admin?: boolean;
  /** A page served on the admin port outside `/v1/` (the dashboard, when `modelship up` runs). */
  adminPage?: AdminPage;
  /** Bring back the version last promoted, per the state file (default false). */
  restore?: boolean;
  /** Called for every event the rollout machine handles, accepted or not. */
  onTransition?: (rolloutId: string, entry: RolloutRecord["timeline"][number]) => void;
  /**
   * Called when a rollout that was already reported promoted ends switched back (the new slot
   * crashed during the scale-down delay): the version now live, so the environment's alias can
   * follow it. Not called for rollouts that fail before their promotion.
   */
  onRevertedAfterPromotion?: (live: { version: string; rolloutId: string }) => void;
  log?: (line: string) => void;
  /** Aborting it closes the deployment, also while it restores. */
  signal?: AbortSignal;
};

type Run = {
  driver: RolloutDriver;
  from: RolloutTarget | null;
  previousBefore: RolloutTarget | null;
  promoted: boolean;
  /** Promoted, then switched back: callers were told it succeeded. */
  reverted: boolean;
  /** Its outcome is in `modelship_rollouts_total`. */
  counted: boolean;
  waiters: Array<{ terminal: boolean; resolve: (r: RolloutResult) => void }>;
};

/** Starts the router for one environment and returns the handle that runs blue-green rollouts on it. */
export async function startLocalDeployment(opts: LocalDeploymentOptions): Promise<LocalDeployment> {
  const env = opts.env;
  const stateDir = resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
  const settings = rolloutSettings(opts.config);
  const loaded = await loadDeployState(stateDir, env, new Date());
  await stopOrphanSlots(loaded.orphanPids);
  // Marks the router's own smoke requests, so their 4xx answers count against the version.
  const smokeToken = randomBytes(16).toString("hex");
  const router = await listen(opts, smokeToken, stateDir);
  let current: Run | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const pool: SlotPool = new SlotPool({
    router,
    stateDir,
    env,
    startTimeoutMs: settings.readyTimeoutMs,
    ...(opts.serverEntry ? { serverEntry: opts.serverEntry } : {}),
    serverArgs: [...(opts.batching ? batchingArgs(opts.batching) : []), ...(opts.serverArgs ?? [])],
    onExit: (colour, _slot, message) => {
      if (current) current.driver.send({ type: "slot-crashed", colour, message });
      // The machine handles the colour it brings up; the live one outside its reach is restarted.
      if (!current || current.driver.state().preview !== colour) void supervisor.restart(colour, message);
      void store.persist().catch(() => undefined);
    },
  });
  const store = new DeployStateStore({
    stateDir,
    env,
    loaded: loaded.state,
    router: { url: router.url, pid: process.pid, startedAt: new Date().toISOString() },
    slots: (c) => pool.get(c),
  });
  const supervisor = new LiveSlotSupervisor({
    pool,
    store,
    onChange: () => void store.persist().catch(() => undefined),
    ...(opts.log ? { log: opts.log } : {}),
  });

  function onStep(
    run: Run,
    step: { state: RolloutState; record: RolloutRecord; entry: RolloutRecord["timeline"][number] },
  ) {
    store.current = step.record;
    opts.onTransition?.(step.record.id, step.entry);
    const { outcome, phase } = step.state;
    if (outcome === "succeeded" && !run.promoted) {
      run.promoted = true;
      if (run.from) store.previous = run.from;
    }
    if (outcome !== "succeeded" && run.promoted) {
      // Promoted, then switched back: the old colour is live again and so is the old history.
      run.promoted = false;
      run.reverted = true;
      store.previous = run.previousBefore;
    }
    supervisor.serving();
    if (TERMINAL_PHASES.includes(phase)) {
      store.history.push(structuredClone(step.record));
      countRollout(run, step.record);
      const live = store.live;
      if (run.reverted && live)
        opts.onRevertedAfterPromotion?.({ version: live.version, rolloutId: step.record.id });
      if (current === run) {
        current = null;
        store.current = null;
      }
    }
    router.setPhase(TERMINAL_PHASES.includes(phase) ? null : phase);
    resolveWaiters(
      run,
      step.record,
      TERMINAL_PHASES.includes(phase),
      outcome === "succeeded" || phase === "holding",
    );
    // A failed write must not take the router (and the live slot) down; the next step rewrites it.
    store.persist().catch(() => undefined);
  }

  /**
   * Callers hear back once traffic is on the new version (or a split holds for a promote), or,
   * when they asked, once all is done.
   */
  function resolveWaiters(run: Run, record: RolloutRecord, terminal: boolean, succeeded: boolean): void {
    if (!terminal && !succeeded) return;
    const result = toResult(record);
    run.waiters = run.waiters.filter((w) => {
      if (w.terminal && !terminal) return true;
      w.resolve(result);
      return false;
    });
  }

  function launch(kind: RolloutState["kind"], target: RolloutTarget, plan: TrafficPlan): Run {
    const live = store.live;
    const state = createRollout({
      id: rolloutId(new Date(), randomBytes(3).toString("hex")),
      kind,
      target,
      active: live ? { colour: live.colour, version: live.version } : null,
      settings,
      plan,
    });
    const record = createRolloutRecord(state, new Date());
    const effects = new LocalEffects({ router, pool, store, smokeToken, state: () => run.driver.state() });
    const run: Run = {
      driver: driveRollout({ state, record, effects, clock: systemClock, onStep: (s) => onStep(run, s) }),
      from: live ? pickTarget(live) : null,
      previousBefore: store.previous,
      promoted: false,
      reverted: false,
      counted: false,
      waiters: [],
    };
    current = run;
    store.current = record;
    return run;
  }

  function begin(
    kind: RolloutState["kind"],
    target: () => RolloutTarget,
    wait: RolloutWaitOptions,
    plan: TrafficPlan = { strategy: "blue-green" },
  ) {
    const next = chain.then(async () => {
      if (store.closed)
        throw new ModelshipError({
          code: "deployment-closed",
          message: `the ${env} router is shutting down`,
        });
      const t = target();
      await assertModelExists(t.modelDir);
      if (current && keepsWarm(current, t)) endDrainingWarm(current);
      if (current) {
        current.driver.send({ type: "aborted", reason: "superseded", message: `superseded by ${t.version}` });
        await current.driver.finished;
      }
      const run = launch(kind, t, plan);
      return new Promise<RolloutResult>((resolve) =>
        run.waiters.push({ terminal: wait.waitForScaleDown === true, resolve }),
      );
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
      const { plan, ...rest } = req;
      const target = { ...pickTarget(rest), modelDir: resolve(req.modelDir) };
      return begin("deploy", () => target, wait, plan ?? trafficPlan(opts.config));
    },
    async promote({ full = true, ...wait } = {}) {
      const run = inSplit("promote");
      return waitFor(run, wait, { type: "promote", full });
    },
    async abort(wait = {}) {
      const run = current;
      if (!run || run.driver.state().outcome !== null)
        throw nothingTo("abort", "a rollout that has not been promoted yet");
      return waitFor(
        run,
        { waitForScaleDown: true, ...wait },
        {
          type: "aborted",
          reason: "aborted",
          message: "aborted by the user: all traffic back on the stable version",
        },
      );
    },
    rollback(wait = {}) {
      return begin(
        "rollback",
        () => {
          if (store.previous) return store.previous;
          throw new ModelshipError({
            code: "no-previous-version",
            message: `nothing to roll back to in ${env}: no earlier version was live`,
            hint: "Deploy a version explicitly with `modelship deploy --version V`.",
          });
        },
        wait,
      );
    },
    async status() {
      return {
        ...store.snapshot(),
        url: router.url,
        traffic: trafficEntries(),
        rollout: progress(),
        health: supervisor.health,
      };
    },
  };

  /** The rollout in progress when it has both versions taking traffic; else a usage error. */
  function inSplit(what: string): Run {
    const run = current;
    if (!run || !SPLIT_PHASES.includes(run.driver.state().phase))
      throw nothingTo(what, "a canary, A/B or shadow rollout that has both versions taking traffic");
    return run;
  }

  function waitFor(run: Run, wait: RolloutWaitOptions, event: Parameters<Run["driver"]["send"]>[0]) {
    const done = new Promise<RolloutResult>((resolve) =>
      run.waiters.push({ terminal: wait.waitForScaleDown === true, resolve }),
    );
    run.driver.send(event);
    return done;
  }

  function nothingTo(what: string, needs: string): ModelshipError {
    const s = current?.driver.state();
    return new ModelshipError({
      code: `nothing-to-${what}`,
      message: `nothing to ${what} in ${env}: ${what} needs ${needs}${s ? ` (the rollout of ${s.target.version} is ${s.phase})` : " (no rollout is in progress)"}`,
      hint: "See `modelship status`; start one with `modelship deploy VERSION --canary 10,50,100`, `--ab 20` or `--shadow 100`; undo a promoted version with `modelship rollback`.",
    });
  }

  /** Each serving slot: its variant, its share of client traffic and its traffic since the split began. */
  function trafficEntries(): TrafficEntry[] {
    const split = router.split();
    const live = router.active()?.colour ?? null;
    const run = current?.driver.state();
    const entries: TrafficEntry[] = [];
    for (const slot of COLOURS) {
      const stats = router.variantStats(slot);
      const version = pool.get(slot)?.target.version;
      if (!stats || version === undefined) continue;
      const inSplit = split?.colour === slot;
      const candidate = inSplit || (run !== undefined && run.outcome === null && run.preview === slot);
      let weight = 0;
      if (slot === live) weight = split?.mode === "split" ? 100 - split.weight : 100;
      else if (inSplit && split.mode === "split") weight = split.weight;
      entries.push({
        version,
        slot,
        variant: candidate ? "candidate" : "stable",
        weight,
        shadowPercent: inSplit && split.mode === "shadow" ? split.weight : null,
        ...stats,
      });
    }
    return entries;
  }

  function progress(): RolloutProgress | null {
    const s = current?.driver.state();
    if (!s) return null;
    const canary = s.plan.strategy === "canary" ? s.plan : null;
    return {
      id: s.id,
      version: s.target.version,
      strategy: s.plan.strategy,
      phase: s.phase,
      step: canary && s.step >= 0 ? s.step + 1 : null,
      steps: canary ? canary.steps : null,
      weight: s.weight,
    };
  }

  const admin =
    opts.admin === false ? null : await openAdmin(control, stateDir, env, router.url, opts.adminPage);
  await store.persist();
  const deployment: LocalDeployment = {
    ...control,
    url: router.url,
    adminUrl: admin?.url ?? null,
    async close() {
      if (store.closed) return;
      store.closed = true;
      supervisor.cancel();
      const run = current;
      // A rollout cut short never promoted its version: what was live before stays the record.
      const lastLive =
        run && !run.promoted && run.from
          ? { ...run.from, colour: otherColour(run.driver.state().preview), since: new Date().toISOString() }
          : store.live;
      if (run) endRun(run);
      if (admin) {
        await admin.close();
        await rm(adminFilePath(stateDir, env), { force: true });
      }
      await pool.stopAll();
      await router.close();
      store.closeWith(lastLive);
      await store.persist();
    },
  };
  // SIGTERM while restoring (or at any time): end the rollout and stop every slot this started.
  opts.signal?.addEventListener("abort", () => void deployment.close(), { once: true });
  if (opts.signal?.aborted) await deployment.close();
  if (opts.restore && loaded.restore && !store.closed)
    await control.deploy(loaded.restore).catch(() => undefined);
  return deployment;

  /** Whether `run` is in its scale-down delay with the old colour still serving `target`. */
  function keepsWarm(run: Run, target: RolloutTarget): boolean {
    const s = run.driver.state();
    return s.phase === "draining" && s.active !== null && pool.warm(s.active.colour, target) !== null;
  }

  /** Ends a promotion's scale-down delay early without stopping the old colour: the next rollout takes it back. */
  function endDrainingWarm(run: Run): void {
    const old = run.driver.state().active?.colour ?? "blue";
    run.driver.halt();
    const record = structuredClone(run.driver.record());
    const at = new Date().toISOString();
    record.timeline.push({
      at,
      event: "superseded",
      from: record.phase,
      to: "complete",
      accepted: true,
      note: `scale-down skipped: ${old} stays up for the next rollout`,
    });
    record.phase = "complete";
    record.finishedAt = at;
    finishRun(run, record);
  }

  /** Ends a rollout on shutdown: its record says so, and its callers hear back. */
  function endRun(run: Run): void {
    run.driver.halt();
    const record = structuredClone(run.driver.record());
    if (record.outcome === null || !TERMINAL_PHASES.includes(record.phase)) {
      if (record.outcome !== "succeeded") {
        record.outcome = run.from ? "rolled-back" : "failed";
        record.reason = "aborted";
        record.message = "the router stopped before the rollout finished";
      }
    }
    record.finishedAt = new Date().toISOString();
    finishRun(run, record);
  }

  /** Each rollout's end counts once on the router's `/metrics`, however it ended. */
  function countRollout(run: Run, record: RolloutRecord): void {
    if (run.counted) return;
    run.counted = true;
    router.countRollout(rolloutOutcomeLabel(record));
  }

  function finishRun(run: Run, record: RolloutRecord): void {
    store.history.push(record);
    countRollout(run, record);
    store.current = null;
    if (current === run) current = null;
    const result = toResult(record);
    for (const w of run.waiters.splice(0)) w.resolve(result);
  }
}

async function listen(opts: LocalDeploymentOptions, smokeToken: string, stateDir: string): Promise<Router> {
  return startRouter({
    port: opts.port,
    smokeToken,
    stickyHeader: opts.config.ab.stickyHeader,
    agreementTolerance: opts.config.analysis.agreementTolerance,
    handoff: opts.config.handoff,
    ...(opts.host ? { host: opts.host } : {}),
  }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    throw new ModelshipError({
      code: "port-in-use",
      message: `port ${opts.port} is already in use, so the ${opts.env} router cannot listen on it`,
      hint: `Another router may already serve ${opts.env} (see ${adminFilePath(stateDir, opts.env)}); stop it or set deploy.port.`,
    });
  });
}

async function openAdmin(
  control: DeploymentControl,
  stateDir: string,
  env: string,
  routerUrl: string,
  page: AdminPage | undefined,
) {
  const token = randomBytes(32).toString("hex");
  const admin = await startAdminServer({ control, token, ...(page ? { page } : {}) });
  await writeFileAtomic(
    adminFilePath(stateDir, env),
    `${JSON.stringify({ url: admin.url, token, routerUrl, pid: process.pid }, null, 2)}\n`,
    0o600,
  );
  return admin;
}

function toResult(r: RolloutRecord): RolloutResult {
  if (r.outcome === null && r.phase === "holding") {
    const message = r.timeline.at(-1)?.note ?? `${r.version} takes part of the traffic`;
    return { ...structuredClone(r), outcome: "holding", reason: "holding", message };
  }
  return {
    ...structuredClone(r),
    outcome: r.outcome ?? "failed",
    reason: r.reason ?? "aborted",
    message: r.message ?? "",
  };
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
