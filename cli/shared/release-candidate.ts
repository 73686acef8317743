import type { Config } from "../../core/config/schema.ts";
import { planRelease, type BumpSetting, type ReleasePlan } from "../../core/pipeline/plan-release.ts";
import type { ModelLoadCheck, RegisterResult, Registry } from "../../core/registry/registry-port.ts";
import { signatureChanged } from "../../core/version/auto-bump.ts";
import { compareCandidate, type CandidateComparison } from "../../adapters/compare/compare-candidate.ts";

export type ReleaseOutcome = CandidateComparison & { plan: ReleasePlan; registered: RegisterResult | null };

/** Compares a run with production, plans the version, and registers it when the gates allow. */
export async function releaseCandidate(opts: {
  config: Config;
  registry: Registry;
  repoDir: string;
  runDir: string;
  now: Date;
  baselineRef?: string;
  bump?: BumpSetting;
  exactVersion?: string;
  allowFailedGates?: boolean;
  checkModel?: ModelLoadCheck;
}): Promise<ReleaseOutcome> {
  const compared = await compareCandidate(opts);
  const name = opts.config.model.name;
  const latest = await opts.registry.latest(name);
  const plan = planRelease({
    comparison: compared.comparison,
    bump: opts.bump ?? opts.config.registry.bump,
    ...(opts.exactVersion ? { exactVersion: opts.exactVersion } : {}),
    signatureChanged: latest
      ? signatureChanged(latest.signature, compared.candidate.record.signature)
      : false,
    ...(opts.allowFailedGates ? { allowFailedGates: true } : {}),
  });
  if (plan.action === "stop") return { ...compared, plan, registered: null };
  const registered = await opts.registry.register({
    runDir: compared.candidate.dir,
    name,
    bump: plan.bump,
    now: opts.now,
    ...(opts.checkModel ? { checkModel: opts.checkModel } : {}),
  });
  return { ...compared, plan, registered };
}
