import { describe, expect, it } from "vitest";
import { judgeAttestations, type AttestationBundle } from "../../../core/github/judge-attestations.ts";

const SHA = "a".repeat(64);
const REPO = "octo-org/models";
const WORKFLOW = ".github/workflows/modelship-train.yml";

function bundle(over: {
  sha?: string;
  repository?: string;
  path?: string;
  ref?: string;
  type?: string;
  predicateType?: string;
  payloadType?: string;
}): AttestationBundle {
  const statement = {
    _type: over.type ?? "https://in-toto.io/Statement/v1",
    subject: [{ name: "model.onnx", digest: { sha256: over.sha ?? SHA } }],
    predicateType: over.predicateType ?? "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        externalParameters: {
          workflow: {
            repository: over.repository ?? `https://github.com/${REPO}`,
            path: over.path ?? WORKFLOW,
            ref: over.ref ?? "refs/heads/main",
          },
        },
      },
      runDetails: { builder: { id: `https://github.com/${REPO}/${WORKFLOW}@refs/heads/main` } },
    },
  };
  return {
    dsseEnvelope: {
      payloadType: over.payloadType ?? "application/vnd.in-toto+json",
      payload: Buffer.from(JSON.stringify(statement)).toString("base64"),
    },
  };
}

const judge = (bundles: AttestationBundle[]) =>
  judgeAttestations({
    bundles,
    sha256: SHA,
    repository: REPO,
    workflowPath: WORKFLOW,
    workflowRef: "refs/heads/main",
    artifact: "model/model.onnx",
  });

describe("judgeAttestations", () => {
  it.each([
    { title: "provenance by the default branch's train workflow", bundles: [bundle({})], ok: true },
    {
      title: "the repository URL in another case, on GitHub Enterprise",
      bundles: [bundle({ repository: "https://ghe.example.com/Octo-Org/Models" })],
      ok: true,
    },
    {
      title: "one good bundle among bad ones",
      bundles: [bundle({ sha: "b".repeat(64) }), bundle({})],
      ok: true,
    },
    { title: "no bundle", bundles: [], ok: false, reason: "no-attestation" },
    {
      title: "another digest",
      bundles: [bundle({ sha: "b".repeat(64) })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "another repository",
      bundles: [bundle({ repository: "https://github.com/mallory/models" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "a repository whose name ends the same",
      bundles: [bundle({ repository: "https://github.com/x/octo-org/models" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "another workflow",
      bundles: [bundle({ path: ".github/workflows/release.yml" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "a branch's copy of the workflow",
      bundles: [bundle({ ref: "refs/heads/evil" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "another statement type",
      bundles: [bundle({ type: "https://in-toto.io/Statement/v0.1" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "another predicate",
      bundles: [bundle({ predicateType: "https://spdx.dev/Document/v2.3" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "a payload that is not in-toto",
      bundles: [bundle({ payloadType: "text/plain" })],
      ok: false,
      reason: "attestation-mismatch",
    },
    {
      title: "a payload that is not base64 JSON",
      bundles: [{ dsseEnvelope: { payloadType: "application/vnd.in-toto+json", payload: "%%%" } }],
      ok: false,
      reason: "attestation-mismatch",
    },
  ])("$title → ok: $ok", ({ bundles, ok, reason }) => {
    const verdict = judge(bundles);
    expect(verdict.ok).toBe(ok);
    if (!verdict.ok) expect(verdict.reason).toBe(reason);
  });
});
