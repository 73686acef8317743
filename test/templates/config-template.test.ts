import { describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { renderSamples } from "./render-samples.ts";

describe("the .github/modelship.yml template", () => {
  it("renders, for every sample, a config that validates and carries the options", async () => {
    const configs = (await renderSamples()).filter((s) => s.file.path === ".github/modelship.yml");
    expect(configs).toHaveLength(3);
    for (const s of configs) {
      const parsed = parseConfig(s.file.content, s.file.path);
      if (!parsed.ok) throw new Error(`${s.sample}: ${JSON.stringify(parsed.problems)}`);
      const c = parsed.config;
      expect(typeof c.model.name).toBe("string");
      expect(c.train.runner.labels.every((l) => typeof l === "string")).toBe(true);
      expect(s.labels.slice(0, c.train.runner.labels.length)).toEqual(c.train.runner.labels);
      expect(c.github).toMatchObject({
        trainWorkflow: "modelship-train.yml",
        deployWorkflow: "modelship-deploy.yml",
      });
    }
    const odd = configs.find((s) => s.sample.includes("YAML scalars"));
    const parsed = parseConfig(odd!.file.content, "x");
    expect(parsed.ok && parsed.config.model.name).toBe("1.0");
    expect(parsed.ok && parsed.config.train.runner.labels).toEqual(["self-hosted", "true", "a100_80gb"]);
  });
});
