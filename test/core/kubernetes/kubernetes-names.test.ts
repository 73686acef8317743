import { describe, expect, it } from "vitest";
import { kubernetesNames, labelValue } from "../../../core/kubernetes/kubernetes-names.ts";

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe("kubernetesNames", () => {
  it.each([
    ["iris", "iris"],
    ["penguins.v2", "penguins-v2"],
    ["my_model", "my-model"],
    ["2fast", "m-2fast"],
    ["a".repeat(63), "a".repeat(55)],
    [`${"b".repeat(54)}_c`, "b".repeat(54)],
  ])("%s → %s", (model, base) => {
    const n = kubernetesNames(model);
    expect(n.base).toBe(base);
    for (const name of [n.service, n.previewService, n.deployment("green"), n.analysisPostPromotion]) {
      expect(name).toMatch(DNS1035);
      expect(name.length).toBeLessThanOrEqual(63);
    }
  });
});

describe("labelValue", () => {
  it.each([
    ["1.2.0", "1.2.0"],
    ["1.2.0+sha.1", "1.2.0-sha.1"],
    ["1.0.0-rc.1", "1.0.0-rc.1"],
    ["-x-", "x"],
    ["v".repeat(70), "v".repeat(63)],
  ])("%s → %s", (value, label) => {
    expect(labelValue(value)).toBe(label);
  });
});
