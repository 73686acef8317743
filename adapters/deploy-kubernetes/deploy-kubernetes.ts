import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config, Monitoring, ServeBatching } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { buildAutoscaler } from "../../core/kubernetes/build-autoscaler.ts";
import { assertStrategySupported } from "../../core/kubernetes/build-canary-strategy.ts";
import { buildDeployment } from "../../core/kubernetes/build-deployment.ts";
import { buildDisruptionBudget } from "../../core/kubernetes/build-disruption-budget.ts";
import { buildPreviewService, buildService } from "../../core/kubernetes/build-services.ts";
import { buildVirtualService } from "../../core/kubernetes/build-virtual-service.ts";
import { namespaceOf, resolveImage } from "../../core/kubernetes/kubernetes-inputs.ts";
import type { BuildContext, ServedModel } from "../../core/kubernetes/kubernetes-inputs.ts";
import { kubernetesNames } from "../../core/kubernetes/kubernetes-names.ts";
import type { KubernetesNames } from "../../core/kubernetes/kubernetes-names.ts";
import { parseKubernetesState, renderKubernetesState } from "../../core/kubernetes/kubernetes-state.ts";
import { splitReplicas } from "../../core/kubernetes/split-replicas.ts";
import type { DeployedVersion, KubernetesState } from "../../core/kubernetes/kubernetes-state.ts";
import { createRolloutRecord, rolloutId } from "../../core/rollout/apply-event.ts";
import { createRollout, rolloutSettings } from "../../core/rollout/create-rollout.ts";
import type { TimelineEntry } from "../../core/rollout/deploy-state.ts";
import type { RolloutResult } from "../../core/rollout/deploy-target.ts";
import { driveRollout } from "../../core/rollout/drive-rollout.ts";
import type { RolloutClock, RolloutEffects, TargetEffect } from "../../core/rollout/drive-rollout.ts";
import { judgeAnalysis } from "../../core/rollout/judge-analysis.ts";
import { COLOURS, TERMINAL_PHASES, WAITING_PHASES } from "../../core/rollout/rollout-types.ts";
import type {
  Colour,
  Outcome,
  ReasonCode,
  RolloutEffect,
  RolloutEvent,
  RolloutState,
  TrafficPlan,
} from "../../core/rollout/rollout-types.ts";
import { systemClock } from "../clock/system-clock.ts";
import { createKubernetesApi } from "./kubernetes-api.ts";
import type { KubernetesApi } from "./kubernetes-api.ts";
import { runServiceSmoke } from "./run-service-smoke.ts";
import { sleep } from "./sleep.ts";
import { waitDeploymentReady } from "./wait-deployment-ready.ts";

/** A deployment status update, as the rollout machine records it (GitHub Deployment states). */
export type KubernetesStatusUpdate = Extract<RolloutEffect, { type: "record-status" }>;

export type KubernetesTargetOptions = {
  kubeConfig: KubeConfig;
  /** The `deploy` section of the config: gates, timings and `kubernetes`. */
  config: Config["deploy"];
  /** The environment name, recorded on every object and in the state annotation. */
  env: string;
  /** Overrides `deploy.kubernetes.namespace`. */
  namespace?: string;
  /** `serve.batching` for the server containers (default: the server's own). */
  batching?: ServeBatching;
  /** `monitoring`: the prediction log's sampling and sizes in the server containers (default: the config defaults). */
  monitoring?: Monitoring;
  /** How traffic moves to the new version; default: `deploy.strategy` and its settings. */
  plan?: TrafficPlan;
  /**
   * Base URLs of the model's Services when the caller can reach them directly (inside the
   * cluster, or through an ingress): `{ active, preview }`. Default: the API server's service proxy.
   */
  serviceUrls?: { active?: string; preview?: string };
  now?: () => Date;
  /** Aborting rolls back (before the switch) or cuts the scale-down delay short (after it). */
  signal?: AbortSignal;
  onTransition?: (entry: TimelineEntry) => void;
  onStatus?: (update: KubernetesStatusUpdate) => void;
};

/** How a Kubernetes rollout ended, with every transition, and what is live now. */
export type KubernetesRolloutResult = RolloutResult & {
  environment: string;
  namespace: string;
  /** The Service clients use. */
  service: string;
  /** What the Service's state annotation says after the rollout. */
  state: KubernetesState | null;
  /** Problems that did not change the outcome, such as a scale-down the API server refused. */
  warnings: string[];
};

/**
 * Deploys a model version to Kubernetes: applies the idle colour's Deployment (server-side
 * apply), waits until every new pod is Ready, runs the smoke analysis through the preview Service,
 * then moves traffic as the plan says — all at once (blue-green: the Service selector), or in
 * steps (canary, A/B, shadow: pod counts behind one Service, or Istio weights and mirror) with the
 * analysis at each — checks again, and scales the old colour to 0 after `scaleDownDelaySeconds`.
 * Any failure rolls back by itself; a rollout that waits for a promote returns `holding`.
 */
export function deployKubernetes(
  opts: KubernetesTargetOptions & { model: ServedModel },
): Promise<KubernetesRolloutResult> {
  return runRollout(opts, "deploy", opts.model.name, (ctx) => ({
    name: opts.model.name,
    version: opts.model.version,
    modelUri: opts.model.modelUri,
    image: resolveImage(ctx, opts.model),
    ...(opts.model.fetch ? { fetch: opts.model.fetch } : {}),
  }));
}

/** Redeploys the version that was live before the current one, through the same checks. */
export function rollbackKubernetes(
  opts: KubernetesTargetOptions & { modelName: string },
): Promise<KubernetesRolloutResult> {
  return runRollout(opts, "rollback", opts.modelName, (_ctx, before, where) => {
    if (!before?.previous) {
      throw new ModelshipError({
        code: "no-previous-version",
        message: `nothing to roll back to in ${where}: no earlier version was live`,
        hint: "Deploy a version explicitly.",
      });
    }
    return before.previous;
  });
}

/** Reads what is live for a model from its Service's state annotation; null when nothing is. */
export async function readKubernetesState(
  opts: Pick<KubernetesTargetOptions, "kubeConfig" | "config" | "env" | "namespace"> & { modelName: string },
): Promise<KubernetesState | null> {
  const namespace = opts.namespace ?? opts.config.kubernetes.namespace;
  const api = createKubernetesApi({ kubeConfig: opts.kubeConfig, namespace });
  const service = kubernetesNames(opts.modelName).service;
  const svc = await api.readService(service);
  return parseKubernetesState(svc?.annotations, { namespace, service });
}

/**
 * Moves on a rollout that `holding` left with both versions serving (A/B, shadow, a canary step
 * waiting for a person): `promote` sends all traffic to the new version, skipping any remaining
 * steps, `abort` returns it to the live one. The same machine and effects as the deploy run it,
 * from the split recorded on the Service.
 */
export function resumeKubernetes(
  opts: KubernetesTargetOptions & { modelName: string; action: "promote" | "abort" },
): Promise<KubernetesRolloutResult> {
  const event: RolloutEvent =
    opts.action === "promote"
      ? { type: "promote", full: true }
      : { type: "aborted", reason: "aborted", message: "aborted by a person" };
  return runRollout(
    opts,
    "deploy",
    opts.modelName,
    (_ctx, before, where) => {
      if (!before?.split || !before.active) {
        throw new ModelshipError({
          code: "nothing-to-resume",
          message: `no rollout waits for a promote or an abort in ${where}`,
          hint: "Deploy a version with deploy.strategy canary, ab or shadow first.",
        });
      }
      return before.split.target;
    },
    event,
  );
}

async function runRollout(
  opts: KubernetesTargetOptions,
  kind: RolloutState["kind"],
  modelName: string,
  pick: (ctx: BuildContext, before: KubernetesState | null, where: string) => DeployedVersion,
  resume?: RolloutEvent,
): Promise<KubernetesRolloutResult> {
  const now = opts.now ?? (() => new Date());
  const ctx: BuildContext = {
    kubernetes: opts.config.kubernetes,
    environment: opts.env,
    ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
    ...(opts.batching === undefined ? {} : { batching: opts.batching }),
    ...(opts.monitoring === undefined ? {} : { monitoring: opts.monitoring }),
  };
  const namespace = namespaceOf(ctx);
  const names = kubernetesNames(modelName);
  if (ctx.kubernetes.argoRollouts) {
    throw new ModelshipError({
      code: "argo-rollouts-managed",
      message:
        "deploy.kubernetes.argoRollouts is on, so the Argo Rollouts controller runs the steps of deploy.strategy",
      hint: "Apply the Rollout with the new version (the Helm chart with argoRollouts.enabled, or templates/k8s/argo-*.yaml) and follow it with kubectl argo rollouts, or turn argoRollouts off.",
    });
  }
  const serviceUrls: Record<string, string> = {};
  if (opts.serviceUrls?.active) serviceUrls[names.service] = opts.serviceUrls.active;
  if (opts.serviceUrls?.preview) serviceUrls[names.previewService] = opts.serviceUrls.preview;
  const api = createKubernetesApi({ kubeConfig: opts.kubeConfig, namespace, serviceUrls });

  const where = `${opts.env} (namespace ${namespace})`;
  const existing = await api.readService(names.service).catch((err: unknown) => {
    throw new ModelshipError({
      code: "kubernetes-api-error",
      message: `reading Service ${namespace}/${names.service} failed: ${(err as Error).message}`,
      hint: "Check the kubeconfig's current context and that its identity holds the Role in templates/k8s/rbac.yaml.",
    });
  });
  const before = parseKubernetesState(existing?.annotations, { namespace, service: names.service });
  if (before && before.environment !== opts.env) {
    throw new ModelshipError({
      code: "environment-mismatch",
      message: `Service ${namespace}/${names.service} serves environment ${before.environment}, not ${opts.env}`,
      hint: "Give each environment its own namespace (deploy.kubernetes.namespace).",
    });
  }
  const target = pick(ctx, before, where);
  const clock: RolloutClock = opts.now ? { ...systemClock, now: opts.now } : systemClock;
  const plan = opts.plan ?? trafficPlanOf(opts.config);
  assertStrategySupported(ctx, plan);
  const split = resume ? before?.split : undefined;
  if (split && split.strategy !== plan.strategy) {
    throw new ModelshipError({
      code: "config-invalid",
      message: `the held rollout in ${where} is ${split.strategy}, but deploy.strategy is now ${plan.strategy}`,
      hint: `Promote or abort with deploy.strategy: ${split.strategy}, as it was deployed.`,
    });
  }
  const created = createRollout({
    id: rolloutId(now(), randomBytes(3).toString("hex")),
    kind,
    target: { version: target.version, modelDir: target.modelUri, name: target.name },
    active: before?.active ? { colour: before.active.colour, version: before.active.version } : null,
    settings: rolloutSettings(opts.config),
    plan,
  });
  // Resuming: the machine stands where the deploy left it, waiting.
  const state: RolloutState = split
    ? { ...created, phase: "holding", preview: split.colour, step: split.step, weight: split.weight }
    : created;
  const warnings: string[] = [];
  const runner = new EffectRunner({ api, ctx, names, target, before, opts, now, warnings, plan });
  if (split) {
    const sizes = await Promise.all(COLOURS.map((c) => api.readDeployment(names.deployment(c))));
    runner.total = Math.max(ctx.kubernetes.replicas, ...sizes.map((d) => d?.replicas ?? 0));
    runner.routed = ctx.kubernetes.trafficRouting === "istio";
    runner.step = split.step;
  }
  let holding = (): void => {};
  const held = new Promise<void>((resolve) => (holding = resolve));
  const driver = driveRollout({
    state,
    record: createRolloutRecord(state, now()),
    effects: runner,
    clock,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onStep: (step) => {
      runner.step = Math.max(0, step.state.step);
      opts.onTransition?.(step.entry);
      if (WAITING_PHASES.includes(step.state.phase)) holding();
    },
  });
  if (resume) driver.send(resume);
  // A split that waits for a person leaves both versions serving; this process has nothing more to do.
  await Promise.race([driver.finished, held]);
  if (WAITING_PHASES.includes(driver.state().phase)) {
    driver.halt();
    const end = await driver.finished;
    return {
      ...end.record,
      outcome: "holding",
      reason: "holding",
      message: `${end.state.target.version} takes ${end.state.weight}% (${end.state.plan.strategy}); promote or abort to finish`,
      environment: opts.env,
      namespace,
      service: names.service,
      state: runner.live === undefined ? before : runner.live,
      warnings,
    };
  }
  const end = await driver.finished;
  let live = runner.live === undefined ? before : runner.live;
  if (end.state.outcome === "failed") {
    await runner.clearFailedFirstDeploy();
    if (runner.live !== undefined) live = runner.live;
  }
  const record = { ...end.record, finishedAt: end.record.finishedAt ?? now().toISOString() };
  if (!TERMINAL_PHASES.includes(end.state.phase)) {
    warnings.push(`the rollout stopped in phase ${end.state.phase}`);
  }
  return {
    ...record,
    outcome: (record.outcome ?? "failed") as Outcome,
    reason: (record.reason ?? "aborted") as ReasonCode,
    message: record.message ?? "",
    environment: opts.env,
    namespace,
    service: names.service,
    state: live,
    warnings,
  };
}

/** Runs one effect against the cluster and answers with the event it leads to. */
class EffectRunner implements RolloutEffects {
  /** Set after every Service switch: what the state annotation now says. */
  live: KubernetesState | null | undefined = undefined;
  private readonly deps: {
    api: KubernetesApi;
    ctx: BuildContext;
    names: KubernetesNames;
    target: DeployedVersion;
    before: KubernetesState | null;
    opts: KubernetesTargetOptions;
    now: () => Date;
    warnings: string[];
    plan: TrafficPlan;
  };
  /** Pods each version runs when it takes all traffic: what the live colour ran at the start. */
  total: number | undefined;
  /** Set once a step put an Istio VirtualService in front of the Service. */
  routed = false;
  /** The canary step the machine is at (0 for A/B and shadow), recorded with the split. */
  step = 0;

  constructor(deps: EffectRunner["deps"]) {
    this.deps = deps;
  }

  async run(effect: TargetEffect, signal: AbortSignal): Promise<RolloutEvent | null> {
    const { api, ctx, names, target, opts } = this.deps;
    const model: ServedModel = target;
    const s = opts.config;
    switch (effect.type) {
      case "start-slot": {
        const colour = effect.colour;
        try {
          await api.apply(buildPreviewService(ctx, { modelName: model.name, colour }));
          this.total = await this.previewReplicas();
          await api.apply(buildDeployment(ctx, { model, colour, replicas: this.total }));
          if (ctx.kubernetes.autoscaling.enabled) {
            await api.apply(buildAutoscaler(ctx, { modelName: model.name, colour }));
          }
          if (ctx.kubernetes.minAvailable > 0)
            await api.apply(buildDisruptionBudget(ctx, { modelName: model.name }));
        } catch (err) {
          return {
            type: "slot-crashed",
            colour,
            message: `the API server refused ${colour}: ${(err as Error).message}`,
          };
        }
        return { type: "slot-started", colour, url: `service/${names.previewService}` };
      }
      case "probe-ready": {
        const r = await waitDeploymentReady({
          api,
          name: names.deployment(effect.colour),
          timeoutMs: effect.timeoutMs,
          intervalMs: effect.intervalMs,
          signal,
        });
        if (r.ready) return { type: "slot-ready", colour: effect.colour };
        return { type: "ready-timeout", colour: effect.colour, message: r.message };
      }
      case "run-analysis": {
        const pre = effect.stage === "pre-switch";
        const started = Date.now();
        const samples = await runServiceSmoke({
          api,
          // Before the switch and at each step the new version is judged alone, through its own Service.
          service: effect.stage === "post-switch" ? names.service : names.previewService,
          modelName: model.name,
          count: effect.requests,
          spreadMs: effect.durationMs,
          timeoutMs: Math.max(1_000, effect.thresholds.maxLatencyP95Ms * 20),
          signal,
        });
        if (!pre) await sleep(started + effect.durationMs - Date.now(), signal);
        const verdict = judgeAnalysis(samples, effect.thresholds);
        if (pre) {
          return verdict.pass
            ? { type: "analysis-passed", stage: "pre-switch", verdict }
            : { type: "analysis-failed", stage: "pre-switch", verdict };
        }
        if (effect.stage === "step")
          return verdict.pass ? { type: "step-passed", verdict } : { type: "step-failed", verdict };
        return verdict.pass ? { type: "post-check-passed", verdict } : { type: "post-check-failed", verdict };
      }
      case "set-traffic":
        return this.setTraffic(effect, signal);
      case "switch-traffic": {
        const next = this.stateAfterSwitch(effect.colour);
        try {
          // After a replica-weighted split the colour may run fewer pods than all traffic needs.
          if (!(await this.ensureFullSize(effect.colour, signal))) {
            return {
              type: "slot-crashed",
              colour: effect.colour,
              message: `${names.deployment(effect.colour)} did not get back to full size`,
            };
          }
          await api.apply(
            buildService(ctx, {
              modelName: model.name,
              colour: effect.colour,
              state: renderKubernetesState(next),
            }),
          );
        } catch (err) {
          const message = `switching Service ${names.service} to ${effect.colour} failed: ${(err as Error).message}`;
          this.deps.warnings.push(message);
          return { type: "slot-crashed", colour: effect.colour, message };
        }
        this.live = next;
        if (this.routed) {
          // The Service now selects the colour that takes everything: the VirtualService follows.
          await api
            .apply(this.virtualService({ weight: 0, mode: "split" }))
            .catch((err: unknown) =>
              this.deps.warnings.push(
                `resetting VirtualService ${names.virtualService} failed: ${(err as Error).message}`,
              ),
            );
        }
        return { type: "switched", colour: effect.colour };
      }
      case "stop-slot": {
        const name = names.deployment(effect.colour);
        for (let attempt = 1; ; attempt++) {
          try {
            await api.scaleDeployment(name, 0);
            break;
          } catch (err) {
            if (attempt === 3) {
              this.deps.warnings.push(`scaling ${name} to 0 failed: ${(err as Error).message}`);
              break;
            }
            await sleep(Math.min(1_000, s.health.intervalMs * attempt));
          }
        }
        return { type: "slot-stopped", colour: effect.colour };
      }
      case "record-status":
        opts.onStatus?.(effect);
        return null;
    }
  }

  /**
   * Both versions take traffic. With Istio, the VirtualService weighs (or mirrors to) the preview
   * Service; else the model's Service spans both colours and the pod counts make the share, the
   * side growing first and the other shrinking only once the new pods are Ready.
   */
  private async setTraffic(
    effect: Extract<TargetEffect, { type: "set-traffic" }>,
    signal: AbortSignal,
  ): Promise<RolloutEvent | null> {
    const { api, ctx, names } = this.deps;
    const candidate = effect.colour;
    const fail = (err: unknown): RolloutEvent => ({
      type: "slot-crashed",
      colour: candidate,
      message: `setting ${effect.weight}% on ${candidate} failed: ${(err as Error).message}`,
    });
    const total = this.total ?? ctx.kubernetes.replicas;
    try {
      if (ctx.kubernetes.trafficRouting === "istio") {
        await api.apply(this.virtualService({ weight: effect.weight, mode: effect.mode }));
        this.routed = true;
        await this.recordSplit({ ...effect, effectiveWeight: effect.weight }, effect.stable);
        return { type: "traffic-set", weight: effect.weight };
      }
      const split = splitReplicas(total, effect.weight);
      const grow = async (colour: Colour, replicas: number) => {
        const view = await api.readDeployment(names.deployment(colour));
        if ((view?.replicas ?? 0) >= replicas) return true;
        await api.scaleDeployment(names.deployment(colour), replicas);
        return this.waitReady(colour, signal);
      };
      if (!(await grow(candidate, split.candidate)) || !(await grow(effect.stable, split.stable)))
        return {
          type: "slot-crashed",
          colour: candidate,
          message: `the pods for ${effect.weight}% did not become Ready`,
        };
      await this.recordSplit({ ...effect, effectiveWeight: split.effectiveWeight }, null);
      if ((await api.readDeployment(names.deployment(candidate)))?.replicas !== split.candidate)
        await api.scaleDeployment(names.deployment(candidate), split.candidate);
      if ((await api.readDeployment(names.deployment(effect.stable)))?.replicas !== split.stable)
        await api.scaleDeployment(names.deployment(effect.stable), split.stable);
    } catch (err) {
      return fail(err);
    }
    return { type: "traffic-set", weight: effect.weight };
  }

  /** The Service's selector (one colour, or both when `colour` is null) with the split in the state annotation. */
  private async recordSplit(
    split: {
      colour: Colour;
      stable: Colour;
      weight: number;
      mode: "split" | "shadow";
      effectiveWeight: number;
    },
    selectColour: Colour | null,
  ): Promise<void> {
    const { api, ctx, target, before, opts, now, plan } = this.deps;
    if (plan.strategy === "blue-green") throw new Error("a blue-green rollout never splits traffic");
    const state: KubernetesState = {
      ...(before ?? { schemaVersion: 1, environment: opts.env, active: null, previous: null }),
      updatedAt: now().toISOString(),
      split: {
        colour: split.colour,
        version: target.version,
        weight: split.weight,
        mode: split.mode,
        effectiveWeight: split.effectiveWeight,
        strategy: plan.strategy,
        step: this.step,
        target,
      },
    };
    await api.apply(
      buildService(ctx, {
        modelName: target.name,
        colour: selectColour,
        state: renderKubernetesState(state),
      }),
    );
    this.live = state;
  }

  private virtualService(t: { weight: number; mode: "split" | "shadow" }) {
    const { ctx, names, target, plan } = this.deps;
    return buildVirtualService(ctx, {
      modelName: target.name,
      traffic: {
        mode: t.mode,
        stableHost: names.service,
        candidateHost: names.previewService,
        weight: t.weight,
        pinByHeader: plan.strategy === "ab",
      },
    });
  }

  /** Scales a colour back to the size that takes all traffic, and waits for its pods. */
  private async ensureFullSize(colour: Colour, signal: AbortSignal): Promise<boolean> {
    const { api, names, ctx, plan } = this.deps;
    const total = this.total;
    // Only a split made of pod counts ever shrinks a colour.
    const podSplit = plan.strategy !== "blue-green" && ctx.kubernetes.trafficRouting === "service";
    if (total === undefined || !podSplit) return true;
    const view = await api.readDeployment(names.deployment(colour));
    if (view === null || view.replicas >= total) return true;
    await api.scaleDeployment(names.deployment(colour), total);
    return this.waitReady(colour, signal);
  }

  private async waitReady(colour: Colour, signal: AbortSignal): Promise<boolean> {
    const { api, names, opts } = this.deps;
    const r = await waitDeploymentReady({
      api,
      name: names.deployment(colour),
      timeoutMs: opts.config.health.readyTimeoutSeconds * 1000,
      intervalMs: opts.config.health.intervalMs,
      signal,
    });
    return r.ready;
  }

  /**
   * The new colour starts as large as the live one is now (the autoscaler may have grown it), so
   * the switch never moves full traffic onto fewer pods; never smaller than `replicas`.
   */
  private async previewReplicas(): Promise<number> {
    const { api, ctx, names, before } = this.deps;
    if (!before?.active) return ctx.kubernetes.replicas;
    const live = await api.readDeployment(names.deployment(before.active.colour));
    return Math.max(ctx.kubernetes.replicas, live?.replicas ?? 0);
  }

  /**
   * A first deploy that switched traffic and then failed leaves no version live: the Service
   * keeps pointing at the (now empty) colour, and its annotation says nothing is live.
   */
  async clearFailedFirstDeploy(): Promise<void> {
    const { api, ctx, target, opts, now, before } = this.deps;
    const colour = this.live?.active?.colour;
    if (colour === undefined) return;
    const state: KubernetesState = {
      schemaVersion: 1,
      environment: opts.env,
      updatedAt: now().toISOString(),
      active: null,
      previous: before?.previous ?? null,
    };
    try {
      await api.apply(
        buildService(ctx, { modelName: target.name, colour, state: renderKubernetesState(state) }),
      );
      this.live = state;
    } catch (err) {
      this.deps.warnings.push(`recording that nothing is live failed: ${(err as Error).message}`);
    }
  }

  /** The state annotation once the Service points at `colour`: forward to the new version, or back. */
  private stateAfterSwitch(colour: Colour): KubernetesState {
    const { before, target, opts, now } = this.deps;
    const at = now().toISOString();
    if (before?.active && before.active.colour === colour) {
      const { split: _held, ...rest } = before;
      return { ...rest, updatedAt: at };
    }
    const previous = before?.active
      ? {
          name: before.active.name,
          version: before.active.version,
          modelUri: before.active.modelUri,
          image: before.active.image,
          ...(before.active.fetch ? { fetch: before.active.fetch } : {}),
        }
      : (before?.previous ?? null);
    return {
      schemaVersion: 1,
      environment: opts.env,
      updatedAt: at,
      active: { ...target, colour, since: at },
      previous,
    };
  }
}

/** The plan `deploy.strategy` and its settings describe (seconds become milliseconds). */
export function trafficPlanOf(deploy: Config["deploy"]): TrafficPlan {
  switch (deploy.strategy) {
    case "canary": {
      const pause = deploy.canary.pauseSeconds;
      return {
        strategy: "canary",
        steps: deploy.canary.steps,
        pauseMs: pause === null ? null : pause * 1000,
      };
    }
    case "ab":
      return { strategy: "ab", weight: deploy.ab.weight };
    case "shadow":
      return { strategy: "shadow", percent: deploy.shadow.percent };
    default:
      return { strategy: "blue-green" };
  }
}
