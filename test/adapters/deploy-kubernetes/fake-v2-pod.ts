import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What a colour's pods do; tests flip these while a rollout runs. */
export type PodScript = {
  /** Answer infer requests with 500 from the request with this index on (0: always; Infinity: never). */
  failInferFrom: number;
};

export type FakeV2Pod = { url: string; script: PodScript; inferCount(): number; close(): Promise<void> };

const METADATA = (name: string, version: string) => ({
  name,
  versions: [version],
  platform: "onnxruntime_onnx",
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
  outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }],
});

/** A V2 inference server that stands for one colour's pods behind the fake API server's proxy. */
export async function startFakeV2Pod(opts: { name: string; version: string }): Promise<FakeV2Pod> {
  const script: PodScript = { failInferFrom: Infinity };
  let infers = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (code: number, body: unknown) =>
        res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
      const path = req.url ?? "/";
      if (req.method === "GET" && path === "/v2/health/ready") return send(200, { ready: true });
      if (req.method === "GET" && path === `/v2/models/${opts.name}`)
        return send(200, METADATA(opts.name, opts.version));
      if (req.method === "POST" && path === `/v2/models/${opts.name}/infer`) {
        const index = infers++;
        let body: { inputs?: Array<{ name: string; shape: number[]; data: unknown[] }> };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
        } catch {
          return send(400, { error: "body is not JSON" });
        }
        const input = body.inputs?.[0];
        if (input?.name !== "input" || input.data.length !== 4 || input.shape.join(",") !== "1,4")
          return send(400, { error: `unexpected inputs ${JSON.stringify(body.inputs)}` });
        if (index >= script.failInferFrom) return send(500, { error: "model crashed" });
        return send(200, {
          model_name: opts.name,
          model_version: opts.version,
          outputs: [{ name: "probabilities", datatype: "FP32", shape: [1, 3], data: [0.2, 0.3, 0.5] }],
        });
      }
      return send(404, { error: `no route ${req.method} ${path}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    script,
    inferCount: () => infers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
