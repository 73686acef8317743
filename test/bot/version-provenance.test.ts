import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDeployment, createDeploymentStatus } from "../../adapters/github/deployments.ts";
import { openGitHubReleasesRegistry } from "../../adapters/github/releases-registry.ts";
import { ConfigSchema } from "../../core/config/schema.ts";
import { addPull, type FakeUser } from "../support/fake-github/fake-github.ts";
import { makeRunDir } from "../adapters/registry-git/git-fixtures.ts";
import { probotClient } from "../adapters/github/github-clients.ts";
import {
  botComments,
  examplePayload,
  commentPayload,
  OWNER,
  REPO,
  reactionsOn,
  startHarness,
  type Harness,
} from "./bot-harness.ts";

const TAG_FORMAT = ConfigSchema.parse({ model: { name: "iris" } }).registry.tagFormat;
const MALLORY: FakeUser = { login: "mallory", id: 666, type: "User" };
const ACTIONS: FakeUser = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

let h: Harness;
const runDirs: string[] = [];
beforeEach(async () => {
  h = await startHarness();
  h.repo.permissions.mallory = "write";
});
afterEach(async () => {
  await h.checkAndClose();
  await Promise.all(runDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** An Octokit acting as `who` against the fake (a token GitHub would attribute to that identity). */
function clientAs(who: FakeUser) {
  const token = `ghs_${who.login.replace(/\W/g, "")}`;
  h.fake.state.tokens[token] = who;
  return probotClient(h.fake, token);
}

/** Registers version `version` of iris through the Releases API as `who`, claiming `pr`, tagged at `target`. */
async function registerAs(who: FakeUser, version: string, pr: number, target: string): Promise<void> {
  const registry = await openGitHubReleasesRegistry(clientAs(who) as never, {
    owner: OWNER,
    repo: REPO,
    tagFormat: TAG_FORMAT,
    targetCommitish: target,
  });
  const runDir = await makeRunDir({ runId: `run-${who.login}-${version}` });
  runDirs.push(runDir);
  await registry.register({ runDir, name: "iris", bump: { exact: version }, pr, now: new Date() });
}

/** PR `n`, merged into main, approved, with a passing modelship/train check on its head. */
function mergedPull(n: number, opts: { reviewed?: boolean } = {}) {
  const pull = addPull(h.fake.state, h.repo, { number: n, merged: true });
  if (opts.reviewed !== false)
    h.repo.reviews[n] = [
      {
        id: 90 + n,
        user: { login: "boss", id: 9, type: "User" },
        state: "APPROVED",
        commitId: pull.head.sha,
        submittedAt: "2026-01-01T00:00:00Z",
      },
    ];
  h.repo.checkRuns.push({
    id: 700 + n,
    name: "modelship/train",
    headSha: pull.head.sha,
    status: "completed",
    conclusion: "success",
    externalId: null,
    detailsUrl: null,
    startedAt: null,
    completedAt: null,
    output: { title: null, summary: null, text: null },
    annotations: [],
    app: h.fake.state.appBot,
  });
  return pull;
}

async function command(body: string, pr = 1) {
  const payload = commentPayload(h, { body, login: "boss", pr });
  await h.receive("issue_comment", payload);
  return { reactions: reactionsOn(h, payload.comment.id), reply: botComments(h, pr).at(-1) ?? "" };
}

const deployedVersions = () => h.repo.deployments.map((d) => (d.payload as { version?: string }).version);

describe("versions: only those Modelship made, from merged, reviewed code with gates passed", () => {
  it("a release forged by a writer with lineage.pr 7 is ignored: /deploy on #7 deploys the App's version", async () => {
    const pull = mergedPull(7);
    await registerAs(h.fake.state.appBot, "1.0.0", 7, pull.mergeCommitSha!);
    await registerAs(MALLORY, "1.1.0", 7, pull.mergeCommitSha!);
    const { reactions, reply } = await command("/deploy production", 7);
    expect(reactions).toEqual(["eyes", "rocket"]);
    expect(reply).toContain("deploying 1.0.0 to `production`");
    expect(deployedVersions()).toEqual(["1.0.0"]);
  });

  it("when the forged release is the only one, /deploy is refused and nothing is deployed", async () => {
    const pull = mergedPull(7);
    await registerAs(MALLORY, "1.1.0", 7, pull.mergeCommitSha!);
    const { reactions, reply } = await command("/deploy production", 7);
    expect(reactions).toEqual(["eyes", "-1"]);
    expect(reply).toContain("`not-released`");
    expect(h.repo.deployments).toEqual([]);
  });

  it("/promote of a writer's forged version is refused as untrusted", async () => {
    const pull = mergedPull(7);
    await registerAs(MALLORY, "1.1.0", 7, pull.mergeCommitSha!);
    const { reply } = await command("/promote 1.1.0 production");
    expect(reply).toContain("created by @mallory, not by Modelship");
    expect(reply).toContain("`untrusted-version`");
    expect(h.repo.deployments).toEqual([]);
  });

  it("/promote 10.0.0 production of a version registered from an open, unreviewed PR is refused", async () => {
    const open = addPull(h.fake.state, h.repo, { number: 5, headRef: "experiment" });
    await registerAs(ACTIONS, "10.0.0", 5, open.head.sha);
    const { reactions, reply } = await command("/promote 10.0.0 production");
    expect(reactions).toEqual(["eyes", "-1"]);
    expect(reply).toContain("comes from pull request #5, which is not merged");
    expect(reply).toContain("`not-merged`");
    expect(h.repo.deployments).toEqual([]);
  });

  it.each([
    { env: "production", reviewed: false, reason: "not-reviewed" },
    { env: "staging", reviewed: false, reason: null },
  ])(
    "an unreviewed merge: /promote to $env → $reason (per-environment policy)",
    async ({ env, reviewed, reason }) => {
      h.repo.files.main![".github/modelship.yml"] += "    qa: { requires: [merged] }\n";
      h.repo.files.main![".github/modelship.yml"] = h.repo.files.main![".github/modelship.yml"]!.replace(
        "staging: { requireApprovedReview: false, requireGreenChecks: false }",
        "staging: { requireApprovedReview: false, requireGreenChecks: false, requires: [merged, gates] }",
      );
      const pull = mergedPull(8, { reviewed });
      await registerAs(h.fake.state.appBot, "2.0.0", 8, pull.mergeCommitSha!);
      const { reply } = await command(`/promote 2.0.0 ${env}`);
      if (reason === null) {
        expect(reply).toContain(`deploying 2.0.0 to \`${env}\``);
        expect(deployedVersions()).toEqual(["2.0.0"]);
      } else {
        expect(reply).toContain(`\`${reason}\``);
        expect(h.repo.deployments).toEqual([]);
      }
    },
  );

  it("a release tagged at another commit than its PR's merge is refused (not-merged)", async () => {
    const pull = mergedPull(7);
    await registerAs(ACTIONS, "1.0.0", 7, pull.head.sha);
    const { reply } = await command("/promote 1.0.0 production");
    expect(reply).toContain("`not-merged`");
    expect(h.repo.deployments).toEqual([]);
  });
});

describe("attested environments: the model's build provenance attestation must name this repository", () => {
  // The model file makeRunDir writes by default.
  const MODEL_SHA = createHash("sha256")
    .update(Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff, 0x0d, 0x0a, 0x1a]))
    .digest("hex");
  const provenance = (
    sha256: string,
    repository: string,
    predicateType = "https://slsa.dev/provenance/v1",
    ref = "refs/heads/main",
  ) => ({
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {},
    dsseEnvelope: {
      payloadType: "application/vnd.in-toto+json",
      signatures: [{ sig: "MEUCIQ" }],
      payload: Buffer.from(
        JSON.stringify({
          _type: "https://in-toto.io/Statement/v1",
          subject: [{ name: "model.onnx", digest: { sha256 } }],
          predicateType,
          predicate: {
            buildDefinition: {
              buildType: "https://actions.github.io/buildtypes/workflow/v1",
              externalParameters: {
                workflow: {
                  ref,
                  repository,
                  path: ".github/workflows/modelship-train.yml",
                },
              },
            },
            runDetails: {
              builder: { id: `${repository}/.github/workflows/modelship-train.yml@refs/heads/main` },
            },
          },
        }),
      ).toString("base64"),
    },
  });

  beforeEach(() => {
    h.repo.files.main![".github/modelship.yml"] +=
      "    secure: { requires: [merged, reviewed, gates, attested] }\n";
  });

  it.each([
    {
      title: "no attestation at all",
      bundles: [],
      reason: "not-attested",
      says: "has no build provenance attestation",
    },
    {
      title: "an attestation made in another repository",
      bundles: [provenance(MODEL_SHA, "https://github.com/mallory/elsewhere")],
      reason: "not-attested",
      says: "are not SLSA build provenance by .github/workflows/modelship-train.yml",
    },
    {
      title: "a statement of another type",
      bundles: [
        provenance(
          MODEL_SHA,
          `https://github.com/${OWNER}/${REPO}`,
          "https://in-toto.io/attestation/release",
        ),
      ],
      reason: "not-attested",
      says: "are not SLSA build provenance",
    },
    {
      title: "the train workflow as a writer changed it on another branch",
      bundles: [
        provenance(
          MODEL_SHA,
          `https://github.com/${OWNER}/${REPO}`,
          "https://slsa.dev/provenance/v1",
          "refs/heads/evil",
        ),
      ],
      reason: "not-attested",
      says: "on refs/heads/main of",
    },
    {
      title: "SLSA provenance from this repository's workflow",
      bundles: [provenance(MODEL_SHA, `https://github.com/${OWNER}/${REPO}`)],
      reason: null,
      says: "deploying 2.0.0 to `secure`",
    },
  ])("/promote to an attested environment with $title → $reason", async ({ bundles, reason, says }) => {
    if (bundles.length) h.repo.attestations[`sha256:${MODEL_SHA}`] = bundles;
    const pull = mergedPull(8);
    await registerAs(h.fake.state.appBot, "2.0.0", 8, pull.mergeCommitSha!);
    const { reply } = await command("/promote 2.0.0 secure");
    expect(reply).toContain(says);
    if (reason === null) expect(deployedVersions()).toEqual(["2.0.0"]);
    else {
      expect(reply).toContain(`\`${reason}\``);
      expect(h.repo.deployments).toEqual([]);
    }
    const asked = h.fake.calls.filter((c) => c.operationId === "repos/list-attestations");
    expect(asked.map((c) => decodeURIComponent(c.path.split("/").at(-1)!))).toEqual([`sha256:${MODEL_SHA}`]);
  });

  it("environments that do not require it never read attestations", async () => {
    const pull = mergedPull(8);
    await registerAs(h.fake.state.appBot, "2.0.0", 8, pull.mergeCommitSha!);
    const { reply } = await command("/promote 2.0.0 production");
    expect(reply).toContain("deploying 2.0.0 to `production`");
    expect(h.fake.calls.filter((c) => c.operationId === "repos/list-attestations")).toEqual([]);
  });
});

describe("rollback: the previous version comes from the App's own deployment history", () => {
  async function appDeployed(version: string, previous: string | null, state: "success" | "failure") {
    const app = clientAs(h.fake.state.appBot) as never;
    const created = await createDeployment(app, {
      owner: OWNER,
      repo: REPO,
      ref: "main",
      requiredContexts: [],
      payload: {
        model: "iris",
        version,
        strategy: "blue-green",
        previousVersion: previous,
        environment: "production",
        pr: null,
      },
    });
    if (created.outcome !== "created") throw new Error(created.outcome);
    await createDeploymentStatus(app, { owner: OWNER, repo: REPO, deploymentId: created.id, state });
  }

  async function forgedDeployment(previousVersion: string) {
    const octokit = clientAs(MALLORY);
    await octokit.rest.repos.createDeployment({
      owner: OWNER,
      repo: REPO,
      ref: "main",
      environment: "production",
      required_contexts: [],
      payload: {
        model: "iris",
        version: "1.1.0",
        strategy: "blue-green",
        previousVersion,
        environment: "production",
        pr: 1,
      },
    });
  }

  beforeEach(async () => {
    for (const [n, v] of [
      [12, "1.0.0"],
      [13, "1.1.0"],
      [11, "9.9.9"],
    ] as const) {
      const pull = mergedPull(n);
      await registerAs(v === "9.9.9" ? MALLORY : h.fake.state.appBot, v, n, pull.mergeCommitSha!);
    }
  });

  it("a writer's deployment claiming previousVersion 9.9.9 is ignored: /rollback returns to the App's 1.0.0", async () => {
    await appDeployed("1.0.0", null, "success");
    await appDeployed("1.1.0", "1.0.0", "success");
    await forgedDeployment("9.9.9");
    const before = h.repo.deployments.length;
    const { reactions, reply } = await command("/rollback production");
    expect(reactions).toEqual(["eyes", "rocket"]);
    expect(reply).toContain("deploying 1.0.0 to `production`");
    expect(deployedVersions().slice(before)).toEqual(["1.0.0"]);
    expect(deployedVersions().filter((v) => v === "9.9.9")).toEqual([]);
  });

  it("with no earlier success in the App's history, the forged previousVersion does not count: refused", async () => {
    await appDeployed("1.1.0", null, "success");
    await forgedDeployment("9.9.9");
    const before = h.repo.deployments.length;
    const { reply } = await command("/rollback production");
    expect(reply).toContain("`no-previous-version`");
    expect(h.repo.deployments.length).toBe(before);
  });

  it("a failure status on a writer's deployment posts nothing on the pull request it names", async () => {
    await forgedDeployment("9.9.9");
    const forged = h.repo.deployments.at(-1)!;
    const status = examplePayload("deployment_status", "created");
    Object.assign(status.deployment, {
      id: forged.id,
      payload: forged.payload,
      creator: { ...status.deployment.creator, login: "mallory", type: "User" },
    });
    status.deployment_status.state = "failure";
    status.deployment_status.description = "@octo-org/admins the App says: run /rollback now";
    await h.receive("deployment_status", status);
    expect(botComments(h, 1)).toEqual([]);
  });

  it("/rollback production 9.9.9 by name is refused: a writer made that version", async () => {
    await appDeployed("1.1.0", null, "success");
    const before = h.repo.deployments.length;
    const { reply } = await command("/rollback production 9.9.9");
    expect(reply).toContain("`untrusted-version`");
    expect(h.repo.deployments.length).toBe(before);
  });
});
