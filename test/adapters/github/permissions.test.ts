import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPermission } from "../../../adapters/github/permissions.ts";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";
import { CLIENTS, actionsClient } from "./github-clients.ts";

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
  const repo = gh.repo("acme", "models");
  repo.permissions = {
    admin1: "admin",
    main1: "maintain",
    writer: "write",
    triager: "triage",
    reader: "read",
  };
});
afterAll(() => gh.close());

describe("getPermission", () => {
  it.each([
    ["admin1", "admin"],
    ["main1", "maintain"],
    ["writer", "write"],
    ["triager", "triage"],
    ["reader", "read"],
    ["stranger", "none"],
  ])("reads %s as %s", async (username, expected) => {
    for (const [, make] of CLIENTS) {
      expect(await getPermission(make(gh), { owner: "acme", repo: "models", username })).toBe(expected);
    }
    expect(gh.callsTo("repos/get-collaborator-permission-level").at(-1)?.path).toBe(
      `/repos/acme/models/collaborators/${username}/permission`,
    );
    expect(gh.invalid).toEqual([]);
  });

  it("fails closed when the API cannot answer", async () => {
    const other = await startFakeGitHub();
    await other.close();
    expect(
      await getPermission(actionsClient(other), { owner: "acme", repo: "models", username: "admin1" }),
    ).toBe("none");
    expect(
      await getPermission(actionsClient(gh), { owner: "acme", repo: "no-such-repo", username: "admin1" }),
    ).toBe("none");
  });
});
