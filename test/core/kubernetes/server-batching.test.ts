import { describe, expect, it } from "vitest";
import { buildDeployment } from "../../../core/kubernetes/build-deployment.ts";
import { k8sTemplateFiles } from "../../../core/kubernetes/k8s-template-files.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { ConfigInput } from "../../../core/config/schema.ts";
import { parseServeArgs } from "../../../runners/serve/main.ts";

const model = { name: "iris", version: "1.2.0", modelUri: "/models/iris/1.2.0" };

function serverArgs(serve: ConfigInput["serve"]): string[] {
  const config = ConfigSchema.parse({ serve });
  const d = buildDeployment(
    { kubernetes: config.deploy.kubernetes, environment: "production", batching: config.serve.batching },
    { model, colour: "blue" },
  );
  const spec = (d.toJSON() as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } })
    .spec;
  return spec.template.spec.containers[0]!.args;
}

describe("the server container's batching flags", () => {
  it.each([
    [
      "a window",
      { batching: { maxBatchRows: 32, maxQueueDelayUs: 2000, preferredBatchRows: [8, 16] } },
      { maxBatchRows: 32, maxQueueDelayUs: 2000, preferredBatchRows: [8, 16] },
    ],
    ["the defaults", undefined, { maxBatchRows: 64, maxQueueDelayUs: 0 }],
  ])("carry serve.batching: %s, as the server reads them", (_label, serve, want) => {
    const args = serverArgs(serve);
    expect(args.slice(0, 1)).toEqual(["serve"]);
    // `modelship serve` and the server process share these flags.
    const read = parseServeArgs(args.slice(1));
    expect(read).toMatchObject(want);
    expect(read.preferredBatchRows).toEqual(
      "preferredBatchRows" in want ? want.preferredBatchRows : undefined,
    );
  });

  it("templates/k8s states the default batching", () => {
    for (const text of Object.values(k8sTemplateFiles()))
      expect(text).toMatch(/- --max-batch-rows\n\s+- "64"\n\s+- --max-queue-delay-us\n\s+- "0"/);
  });
});
