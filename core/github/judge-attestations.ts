/** Where a Sigstore bundle's signed statement lives (the parts this check reads). */
export type AttestationBundle = {
  dsseEnvelope?: { payload?: unknown; payloadType?: unknown } | null;
};

export type AttestationVerdict =
  | { ok: true; builder: string }
  | { ok: false; reason: "no-attestation" | "attestation-mismatch"; message: string };

const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
const SLSA_PROVENANCE = "https://slsa.dev/provenance/v1";
const IN_TOTO_PAYLOAD = "application/vnd.in-toto+json";

type Statement = {
  _type?: unknown;
  subject?: Array<{ name?: unknown; digest?: Record<string, unknown> }>;
  predicateType?: unknown;
  predicate?: {
    buildDefinition?: {
      externalParameters?: { workflow?: { repository?: unknown; path?: unknown; ref?: unknown } };
    };
    runDetails?: { builder?: { id?: unknown } };
  };
};

function decodeStatement(bundle: AttestationBundle): Statement | null {
  const env = bundle.dsseEnvelope;
  if (!env || env.payloadType !== IN_TOTO_PAYLOAD || typeof env.payload !== "string") return null;
  try {
    const bytes = Uint8Array.from(atob(env.payload), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Statement;
  } catch {
    return null;
  }
}

/**
 * Whether one of a digest's attestations is a SLSA build provenance statement for exactly that
 * digest, built by the given workflow of this repository as it is on the given ref (a writer's
 * copy of the workflow on another branch does not count). It reads the statement GitHub stores with the
 * attestation; the Sigstore signature over it is checked by `gh attestation verify`, not here.
 */
export function judgeAttestations(input: {
  bundles: readonly AttestationBundle[];
  sha256: string;
  /** `OWNER/REPO`; the statement names it as `https://<github host>/OWNER/REPO`. */
  repository: string;
  /** The workflow that must have built it (`.github/workflows/modelship-train.yml`) … */
  workflowPath: string;
  /** … as it is on this ref (`refs/heads/<default branch>`), not a copy a writer pushed elsewhere. */
  workflowRef: string;
  artifact: string;
}): AttestationVerdict {
  const { sha256, artifact } = input;
  if (input.bundles.length === 0) {
    return {
      ok: false,
      reason: "no-attestation",
      message: `${artifact} (sha256:${sha256.slice(0, 12)}…) has no build provenance attestation in this repository.`,
    };
  }
  for (const bundle of input.bundles) {
    const s = decodeStatement(bundle);
    if (!s || s._type !== STATEMENT_TYPE || s.predicateType !== SLSA_PROVENANCE) continue;
    if (!(s.subject ?? []).some((sub) => sub.digest?.["sha256"] === sha256)) continue;
    const workflow = s.predicate?.buildDefinition?.externalParameters?.workflow;
    const url = typeof workflow?.repository === "string" ? workflow.repository.toLowerCase() : "";
    if (!/^https:\/\/[^/]+\/[^/]+\/[^/]+$/.test(url) || !url.endsWith(`/${input.repository.toLowerCase()}`))
      continue;
    if (workflow?.path !== input.workflowPath || workflow.ref !== input.workflowRef) continue;
    const builder = s.predicate?.runDetails?.builder?.id;
    return { ok: true, builder: typeof builder === "string" ? builder : url };
  }
  return {
    ok: false,
    reason: "attestation-mismatch",
    message: `${artifact}'s ${input.bundles.length} attestation(s) are not SLSA build provenance by ${input.workflowPath} on ${input.workflowRef} of ${input.repository} for sha256:${sha256.slice(0, 12)}….`,
  };
}
