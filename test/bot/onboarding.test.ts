import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { examplePayload, startHarness, type Harness } from "./bot-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.checkAndClose());

describe("onboarding on installation", () => {
  it("opens one pull request with a valid starter config and the workflows, once, and skips configured repositories", async () => {
    h.fake.repo("Codertocat", "Fresh-Repo");
    const payload = examplePayload("installation", "created");
    payload.repositories = [
      { ...payload.repositories[0], name: "Fresh-Repo", full_name: "Codertocat/Fresh-Repo" },
      payload.repositories[0],
    ];
    await h.receive("installation", payload, "install-1");
    await h.receive("installation", payload, "install-2");

    expect(h.fake.callsTo("git/create-tree")).toHaveLength(1);
    const pulls = h.fake.callsTo("pulls/create");
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.path).toBe("/repos/Codertocat/Fresh-Repo/pulls");
    expect(pulls[0]!.body).toMatchObject({
      head: "modelship/onboarding",
      base: "main",
      title: "Set up Modelship",
    });
    const fresh = h.fake.repo("Codertocat", "Fresh-Repo");
    expect(Object.keys(fresh.refs)).toContain("refs/heads/modelship/onboarding");
    const tree = h.fake.callsTo("git/create-tree")[0]!.body as {
      tree: Array<{ path: string; content: string }>;
    };
    expect(tree.tree.map((f) => f.path)).toEqual([
      ".github/modelship.yml",
      ".github/workflows/modelship-train.yml",
      ".github/workflows/modelship-deploy.yml",
      ".github/workflows/modelship-sweep.yml",
    ]);
    const config = parseConfig(tree.tree[0]!.content, ".github/modelship.yml");
    expect(config.ok && config.config.model.name).toBe("fresh-repo");
    // The already configured repository got nothing written.
    expect(h.fake.calls.filter((c) => c.method !== "GET" && c.path.includes("/Hello-World/"))).toEqual([]);
  });
});
