import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRunnerLabels } from "../../../adapters/github/runners.ts";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";
import { actionsClient, probotClient } from "./github-clients.ts";

let gh: FakeGitHub;
const gpu = ["self-hosted", "linux", "x64", "gpu"];
beforeAll(async () => {
  gh = await startFakeGitHub();
  gh.repo("acme", "models").runners = [
    { id: 1, name: "gpu-offline", os: "linux", status: "offline", busy: false, labels: gpu },
    {
      id: 2,
      name: "cpu-online",
      os: "linux",
      status: "online",
      busy: false,
      labels: ["self-hosted", "linux", "x64"],
    },
  ];
  gh.repo("solo", "models").runners = [
    { id: 5, name: "gpu-offline", os: "linux", status: "offline", busy: false, labels: gpu },
  ];
  gh.state.orgRunners.acme = [
    {
      id: 3,
      name: "org-gpu",
      os: "linux",
      status: "online",
      busy: true,
      labels: ["self-hosted", "Linux", "X64", "GPU"],
    },
  ];
});
afterAll(() => gh.close());

describe("checkRunnerLabels", () => {
  it("finds an online organisation runner carrying every label, case-insensitively", async () => {
    const result = await checkRunnerLabels(probotClient(gh), { owner: "acme", repo: "models", labels: gpu });
    expect(result).toEqual({
      status: "available",
      runners: [
        {
          id: 3,
          name: "org-gpu",
          scope: "organization",
          busy: true,
          labels: ["self-hosted", "Linux", "X64", "GPU"],
        },
      ],
    });
    expect(gh.invalid).toEqual([]);
  });

  it("reports none-online when the organisation is unreadable and only an offline runner matches", async () => {
    const result = await checkRunnerLabels(actionsClient(gh), { owner: "solo", repo: "models", labels: gpu });
    expect(result).toEqual({
      status: "none-online",
      offline: [expect.objectContaining({ name: "gpu-offline" })],
    });
  });

  it.each([
    ["no scope is readable", "ghost", ["self-hosted", "gpu"]],
    ["the labels are GitHub-hosted", "acme", ["ubuntu-latest"]],
  ])("answers unknown when %s", async (_label, owner, labels) => {
    const result = await checkRunnerLabels(actionsClient(gh), { owner, repo: "models", labels });
    expect(result.status).toBe("unknown");
  });
});
