import { ModelshipError } from "../errors.ts";
import type { Registry } from "../registry/registry-port.ts";
import type { DeployTarget, TargetRollout } from "./deploy-target.ts";
import type { TrafficPlan } from "./rollout-types.ts";

/** What deploying asks of the registry. */
export type DeployRegistry = Pick<Registry, "resolve" | "setAlias">;

/** A rollout that ran, and whether the environment's alias now names what is live. */
export type DeployVersionResult = { rollout: TargetRollout; aliasError: string | null };

export type DeployPlan = {
  /** The version the rollout brings up. */
  version: string;
  run(): Promise<DeployVersionResult>;
};

/**
 * The one deploy path of the CLI and the Action: resolve the version (a version, `latest` or an
 * alias; a rollback without one returns to the target's previous version), materialise it, drive
 * the rollout on the target, and once it is live point the environment's alias at it. Planning
 * and running are apart so a caller can announce the version before traffic moves.
 */
export async function planDeployVersion(o: {
  registry: DeployRegistry;
  target: DeployTarget;
  name: string;
  environment: string;
  kind: "deploy" | "rollback";
  /** Undefined: `latest` for a deploy, the previous version for a rollback. */
  ref: string | undefined;
  now: () => Date;
  /** Recorded with the alias move; default: the rollout id. */
  note?: string;
  /** How traffic moves to a deployed version (a rollback is always blue-green). */
  plan?: TrafficPlan;
}): Promise<DeployPlan> {
  const moveAlias = (rollout: TargetRollout) => aliasFollows({ ...o, reason: o.kind }, rollout);
  if (o.ref !== undefined || o.kind === "deploy") {
    const ref = o.ref ?? "latest";
    const version = await o.registry.resolve(o.name, ref);
    if (!version) {
      throw new ModelshipError({
        code: "version-not-found",
        message: `'${ref}' is not a version, \`latest\` or an alias of model '${o.name}'`,
        hint: "Register one first (`modelship register RUN_DIR` or `command: register`); list them with `modelship models list`.",
      });
    }
    return {
      version: version.version,
      run: async () => moveAlias(await o.target.deploy(await o.target.materialise(version), o.plan)),
    };
  }
  const previous = await o.target.previousVersion();
  if (previous === undefined) {
    throw new ModelshipError({
      code: "no-previous-version",
      message: `${o.environment} has no earlier version of ${o.name} to roll back to`,
      hint: "Name the version to return to (`modelship rollback VERSION`, or the `version` input).",
    });
  }
  return { version: previous, run: async () => moveAlias(await o.target.rollback()) };
}

/**
 * Once a rollout's version is live (`succeeded`; a held split is not), points the environment's
 * alias at it. A registry that refuses is reported, not thrown: traffic has already moved.
 */
export async function aliasFollows(
  o: {
    registry: DeployRegistry;
    name: string;
    environment: string;
    now: () => Date;
    /** What moved it: deploy, rollback, promote. */
    reason: string;
    note?: string;
  },
  rollout: TargetRollout,
): Promise<DeployVersionResult> {
  if (rollout.outcome !== "succeeded") return { rollout, aliasError: null };
  try {
    await o.registry.setAlias(o.name, o.environment, rollout.version, {
      now: o.now(),
      reason: `${o.reason} (${o.note ?? rollout.id})`,
    });
    return { rollout, aliasError: null };
  } catch (err) {
    return { rollout, aliasError: err instanceof Error ? err.message : String(err) };
  }
}
