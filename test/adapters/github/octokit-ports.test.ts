import { describe, expect, it } from "vitest";
import { getOctokit } from "@actions/github";
import { ProbotOctokit } from "probot";
import type { CheckRunsPort } from "../../../adapters/github/check-runs.ts";
import type { DeploymentsPort } from "../../../adapters/github/deployments.ts";
import type { GitDataPort } from "../../../adapters/github/git-data.ts";
import type { PermissionPort } from "../../../adapters/github/permissions.ts";
import type { ReleasesRegistryPort } from "../../../adapters/github/releases-registry.ts";
import type { RunnersPort } from "../../../adapters/github/runners.ts";
import type { StickyCommentPort } from "../../../adapters/github/upsert-sticky-comment.ts";
import type { WorkflowsPort } from "../../../adapters/github/workflows.ts";

/** Every port of adapters/github at once: a client that satisfies this satisfies each. */
type AllPorts = StickyCommentPort &
  CheckRunsPort &
  PermissionPort &
  WorkflowsPort &
  DeploymentsPort &
  GitDataPort &
  RunnersPort &
  ReleasesRegistryPort;

// Checked by `tsc`: both clients the front doors hold must fit every port.
type ProbotClient = InstanceType<typeof ProbotOctokit>;
type ActionsClient = ReturnType<typeof getOctokit>;
const probotFits = (o: ProbotClient): AllPorts => o;
const actionsFits = (o: ActionsClient): AllPorts => o;

describe("adapters/github ports", () => {
  it.each([
    ["Probot's octokit", () => probotFits(new ProbotOctokit({ auth: { token: "t" } }))],
    ["@actions/github's getOctokit", () => actionsFits(getOctokit("t", { baseUrl: "http://127.0.0.1:9" }))],
  ])("%s has every method the ports name", (_label, make) => {
    const o = make();
    const methods = [
      o.rest.issues.listComments,
      o.rest.issues.createComment,
      o.rest.issues.updateComment,
      o.rest.checks.create,
      o.rest.checks.update,
      o.rest.checks.listForRef,
      o.rest.repos.getCollaboratorPermissionLevel,
      o.rest.actions.createWorkflowDispatch,
      o.rest.actions.listWorkflowRuns,
      o.rest.actions.listWorkflowRunArtifacts,
      o.rest.actions.downloadArtifact,
      o.rest.repos.createDeployment,
      o.rest.repos.createDeploymentStatus,
      o.rest.git.createRef,
      o.rest.git.createTree,
      o.rest.actions.listSelfHostedRunnersForOrg,
      o.rest.repos.getReleaseAsset,
      o.request,
    ];
    expect(methods.every((m) => typeof m === "function")).toBe(true);
  });
});
