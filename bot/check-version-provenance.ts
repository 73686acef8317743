import {
  judgeProvenance,
  provenanceRequirements,
  trustedAuthors,
  type ProvenanceFacts,
  type ProvenanceVerdict,
} from "../core/bot/judge-provenance.ts";
import { judgeAttestations } from "../core/github/judge-attestations.ts";
import type { Config } from "../core/config/schema.ts";
import type { ModelVersion } from "../core/registry/registry-port.ts";
import { httpStatus } from "../adapters/github/http-status.ts";
import { TRAIN_CHECK_NAME } from "./dispatch-training.ts";
import type { BotGitHub, PullInfo } from "./github-port.ts";

/**
 * Reads a version's provenance from GitHub (release author, tag commit, its pull request's merge,
 * reviews and gate check) and judges it against the environment's policy. The pull request number
 * in the version's lineage is believed only once the author is known to be trusted.
 */
export async function checkVersionProvenance(input: {
  gh: BotGitHub;
  config: Config;
  version: ModelVersion;
  environment: string;
}): Promise<ProvenanceVerdict> {
  const { gh, config, version, environment } = input;
  const release = await gh.releaseProvenance(version.tag);
  const trusted = trustedAuthors(config);
  const requires = provenanceRequirements(config, environment);
  const facts: ProvenanceFacts = { ...release, pull: null, reviewed: null, gates: null };
  const judge = () => judgeProvenance({ version: version.version, environment, facts, trusted, requires });
  if (release.author === null || !trusted.includes(release.author) || requires.length === 0) return judge();
  const pr = version.lineage.pr;
  const pull = pr === undefined ? null : await pullOrNull(gh, pr);
  if (pull !== null) {
    facts.pull = pull;
    const [reviewed, gates] = await Promise.all([
      requires.includes("reviewed") ? gh.approvedReview(pull.number) : null,
      requires.includes("gates") ? trainCheckPassed(gh, pull.headSha) : null,
    ]);
    facts.reviewed = reviewed;
    facts.gates = gates;
  }
  if (requires.includes("attested")) {
    facts.attested = await modelAttested(gh, version, {
      workflowPath: `.github/workflows/${config.github.trainWorkflow}`,
      workflowRef: `refs/heads/${release.defaultBranch}`,
    });
  }
  return judge();
}

/** Every ONNX file of the version must carry a build provenance attestation by the default branch's train workflow. */
async function modelAttested(
  gh: BotGitHub,
  version: ModelVersion,
  built: { workflowPath: string; workflowRef: string },
): Promise<NonNullable<ProvenanceFacts["attested"]> | null> {
  const models = version.artifacts.filter((a) => a.path.endsWith(".onnx"));
  if (models.length === 0)
    return { ok: false, message: `version ${version.version} has no ONNX file to attest.` };
  for (const a of models) {
    let bundles;
    try {
      bundles = await gh.attestations(a.sha256);
    } catch {
      return null;
    }
    const verdict = judgeAttestations({
      bundles,
      sha256: a.sha256,
      repository: `${gh.owner}/${gh.repo}`,
      artifact: a.path,
      ...built,
    });
    if (!verdict.ok) return { ok: false, message: verdict.message };
  }
  return { ok: true };
}

async function pullOrNull(gh: BotGitHub, number: number): Promise<PullInfo | null> {
  try {
    return await gh.pull(number);
  } catch (err) {
    if (httpStatus(err) === 404) return null;
    throw err;
  }
}

async function trainCheckPassed(gh: BotGitHub, sha: string): Promise<boolean | null> {
  try {
    const runs = await gh.listCheckRuns(sha, TRAIN_CHECK_NAME);
    // Newest first: the latest verdict on the head counts.
    const latest = runs.find((c) => c.status === "completed");
    return latest?.conclusion === "success";
  } catch {
    return null;
  }
}
