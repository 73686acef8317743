import type { Config } from "../config/schema.ts";

export type ProvenanceRequirement = "merged" | "reviewed" | "gates" | "attested";

/** Why a version may not be moved into an environment. Closed set, shown to users. */
export type ProvenanceRefusal =
  "untrusted-version" | "not-merged" | "not-reviewed" | "gates-not-passed" | "not-attested";

/** What GitHub says about where a version came from (read by the App, never from the version's own text alone). */
export type ProvenanceFacts = {
  /** Who created the release, as GitHub reports it; null when unknown. */
  author: string | null;
  /** The commit the version's tag points at. */
  commit: string | null;
  defaultBranch: string;
  /** The pull request the version names (trusted only because a trusted author wrote it). */
  pull: { number: number; merged: boolean; mergeCommitSha: string | null; baseRef: string } | null;
  /** An approving review stands on that pull request; null when not read or unreadable. */
  reviewed: boolean | null;
  /** Its `modelship/train` check passed on the head; null when not read or unreadable. */
  gates: boolean | null;
  /** Its model files' build provenance attestations (see judgeAttestations); null when not read. */
  attested?: { ok: true } | { ok: false; message: string } | null;
};

export type ProvenanceVerdict = { ok: true } | { ok: false; reason: ProvenanceRefusal; message: string };

/** The default policy; `attested` is opted into per environment (it needs attestations in the train workflow). */
const ALL: readonly ProvenanceRequirement[] = ["merged", "reviewed", "gates"];

/** The App's bot user, as GitHub names the creator of what the App makes: `<slug>[bot]`. */
export function appLogin(config: Config): string {
  return `${config.github.appSlug}[bot]`;
}

/** Identities whose releases count as versions: the App's bot user and the workflow token's. */
export function trustedAuthors(config: Config): string[] {
  return [appLogin(config), "github-actions[bot]"];
}

/** An environment's provenance policy (`deploy.environments.<name>.requires`); all three when not configured. */
export function provenanceRequirements(
  config: Config,
  environment: string,
): readonly ProvenanceRequirement[] {
  return config.deploy.environments[environment]?.requires ?? ALL;
}

/**
 * Decides whether a version may be deployed to an environment from who made it and from what:
 * a trusted author always; then, as the environment requires, a merge commit of a pull request
 * into the default branch that the tag points at, an approving review, and a passed gate check.
 */
export function judgeProvenance(input: {
  version: string;
  environment: string;
  facts: ProvenanceFacts;
  trusted: readonly string[];
  requires: readonly ProvenanceRequirement[];
}): ProvenanceVerdict {
  const { facts, version, environment } = input;
  const refuse = (reason: ProvenanceRefusal, message: string): ProvenanceVerdict => ({
    ok: false,
    reason,
    message,
  });
  if (facts.author === null || !input.trusted.includes(facts.author)) {
    return refuse(
      "untrusted-version",
      `version ${version} was created by ${facts.author ? `@${facts.author}` : "an unknown author"}, not by Modelship (${input.trusted.join(" or ")}), so it is never deployed.`,
    );
  }
  const pull = facts.pull;
  const where = pull ? `pull request #${pull.number}` : "no pull request";
  if (input.requires.includes("merged")) {
    const merged =
      pull !== null &&
      pull.merged &&
      pull.baseRef === facts.defaultBranch &&
      facts.commit !== null &&
      pull.mergeCommitSha === facts.commit;
    if (!merged)
      return refuse(
        "not-merged",
        `\`${environment}\` takes only versions built from a merge into \`${facts.defaultBranch}\`; version ${version} comes from ${where}${pull && !pull.merged ? ", which is not merged" : ""}.`,
      );
  }
  if (input.requires.includes("reviewed") && facts.reviewed !== true)
    return refuse(
      "not-reviewed",
      `\`${environment}\` takes only reviewed versions; ${where} of version ${version} has no standing approval.`,
    );
  if (input.requires.includes("gates") && facts.gates !== true)
    return refuse(
      "gates-not-passed",
      `\`${environment}\` takes only versions whose gates passed; ${where} of version ${version} has no passing \`modelship/train\` check.`,
    );
  if (input.requires.includes("attested") && facts.attested?.ok !== true)
    return refuse(
      "not-attested",
      `\`${environment}\` takes only versions whose model files carry a build provenance attestation; ${facts.attested?.ok === false ? facts.attested.message : `the attestations of version ${version} could not be read.`}`,
    );
  return { ok: true };
}
