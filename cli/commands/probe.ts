import type { Command } from "commander";
import { ModelshipError } from "../../core/errors.ts";
import { emit } from "../shared/options.ts";

type ProbeFlags = {
  url: string;
  model: string;
  version?: string;
  requests: string;
  maxErrorRate: string;
  maxLatencyP95Ms: string;
  maxLatencyP99Ms: string;
  timeoutMs: string;
  json?: boolean;
};

/**
 * Adds `modelship probe --url URL --model NAME [--version V] [--requests N] [--max-error-rate R]
 * [--max-latency-p95-ms MS] [--max-latency-p99-ms MS]`: real inferences against a V2 server, exit 1 when they fail the
 * thresholds. The Argo Rollouts canary analysis Job and the Helm chart test run it.
 */
export function register(program: Command): void {
  program
    .command("probe")
    .description("Send real V2 inferences to a server and judge them (status, latency, answering version).")
    .requiredOption("--url <url>", "the server's base URL, e.g. http://iris.ml.svc:8080")
    .requiredOption("--model <name>", "model name in the V2 URLs")
    .option("--version <v>", "fail when another version answers")
    .option("--requests <n>", "inferences to send", "5")
    .option("--max-error-rate <r>", "largest share of failed inferences allowed", "0")
    .option("--max-latency-p95-ms <ms>", "largest p95 latency allowed", "250")
    .option("--max-latency-p99-ms <ms>", "largest p99 latency allowed", "1000")
    .option("--timeout-ms <ms>", "time each request may take", "5000")
    .option("--json", "print the verdict as JSON")
    .action(async (flags: ProbeFlags) => {
      const { probeInference } = await import("../../adapters/deploy-kubernetes/probe-inference.ts");
      const verdict = await probeInference({
        url: parseUrl(flags.url),
        model: flags.model,
        ...(flags.version === undefined ? {} : { version: flags.version }),
        requests: number(flags.requests, "--requests", { integer: true, min: 1 }),
        thresholds: {
          maxErrorRate: number(flags.maxErrorRate, "--max-error-rate", { min: 0, max: 1 }),
          maxLatencyP95Ms: number(flags.maxLatencyP95Ms, "--max-latency-p95-ms", { min: 0 }),
          maxLatencyP99Ms: number(flags.maxLatencyP99Ms, "--max-latency-p99-ms", { min: 0 }),
        },
        timeoutMs: number(flags.timeoutMs, "--timeout-ms", { integer: true, min: 1 }),
      });
      const o = verdict.observed;
      emit(flags.json, verdict, () =>
        verdict.pass
          ? `ok: ${o.requests} inferences, error rate ${o.errorRate}, p95 ${o.p95Ms?.toFixed(1) ?? "-"} ms\n`
          : "",
      );
      if (!verdict.pass) {
        throw new ModelshipError(
          {
            code: verdict.reason,
            message: `probe of ${flags.model} at ${flags.url} failed: ${verdict.message}`,
            hint: "Check the server's logs (kubectl logs) and its /metrics.",
          },
          { failedCheck: true },
        );
      }
    });
}

function parseUrl(text: string): string {
  if (/^https?:\/\/[^/]+/.test(text)) return text;
  throw new ModelshipError({
    code: "option-invalid",
    message: `--url must be an http(s) URL, got '${text}'`,
    hint: "Give the server's base URL, e.g. http://iris.ml.svc:8080.",
  });
}

function number(text: string, flag: string, o: { integer?: boolean; min?: number; max?: number }): number {
  const v = Number(text);
  const ok =
    text.trim() !== "" &&
    Number.isFinite(v) &&
    (!o.integer || Number.isInteger(v)) &&
    (o.min === undefined || v >= o.min) &&
    (o.max === undefined || v <= o.max);
  if (ok) return v;
  const range = `${o.integer ? "an integer" : "a number"}${o.min === undefined ? "" : ` ≥ ${o.min}`}${o.max === undefined ? "" : ` and ≤ ${o.max}`}`;
  throw new ModelshipError({ code: "option-invalid", message: `${flag} must be ${range}, got '${text}'` });
}
