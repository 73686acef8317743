import { describe, expect, it } from "vitest";
import { judgeAnalysis, percentile } from "../../../core/rollout/judge-analysis.ts";
import type { AnalysisSample } from "../../../core/rollout/rollout-types.ts";

const ok = (latencyMs: number): AnalysisSample => ({ status: 200, latencyMs });
const traffic = (status: number): AnalysisSample => ({ status, latencyMs: 1, origin: "traffic" });
const LIMITS = { maxErrorRate: 0.1, maxLatencyP95Ms: 50 };

describe("judgeAnalysis", () => {
  it.each<
    [
      string,
      AnalysisSample[],
      { pass: boolean; reason?: string; p95?: number | null; errorRate?: number; clientErrors?: number },
    ]
  >([
    ["no samples (analysis off) passes", [], { pass: true, p95: null, errorRate: 0 }],
    [
      "twenty fast successes pass",
      Array.from({ length: 20 }, (_, i) => ok(10 + i)),
      { pass: true, p95: 28, errorRate: 0 },
    ],
    [
      "every request refused is a smoke failure",
      [
        { status: null, latencyMs: 1, error: "ECONNREFUSED" },
        { status: null, latencyMs: 1 },
      ],
      { pass: false, reason: "smoke-failed", errorRate: 1 },
    ],
    [
      "every request answered 500 is a smoke failure",
      [{ status: 500, latencyMs: 2 }],
      { pass: false, reason: "smoke-failed", errorRate: 1 },
    ],
    [
      "1 error in 10 is within 10%",
      [...Array.from({ length: 9 }, () => ok(5)), { status: 503, latencyMs: 1 }],
      { pass: true, errorRate: 0.1 },
    ],
    [
      "2 errors in 10 is above 10%",
      [
        ...Array.from({ length: 8 }, () => ok(5)),
        { status: 500, latencyMs: 1 },
        { status: 400, latencyMs: 1 },
      ],
      { pass: false, reason: "analysis-error-rate", errorRate: 0.2 },
    ],
    [
      "4xx answers to real traffic are the clients' fault and left out of the rate",
      [...Array.from({ length: 5 }, () => ok(5)), ...Array.from({ length: 5 }, () => traffic(400))],
      { pass: true, errorRate: 0, clientErrors: 5 },
    ],
    [
      "a 5xx to real traffic still counts",
      [...Array.from({ length: 4 }, () => ok(5)), traffic(400), traffic(502)],
      { pass: false, reason: "analysis-error-rate", errorRate: 0.2, clientErrors: 1 },
    ],
    [
      "a client that gave up (499) is not the version's failure",
      [ok(5), traffic(499), traffic(408)],
      { pass: true, errorRate: 0, clientErrors: 2 },
    ],
    [
      "invalid model outputs fail with their own reason",
      [ok(5), { status: 500, latencyMs: 1, code: "output-non-finite", error: "HTTP 500" }],
      { pass: false, reason: "analysis-invalid-output", errorRate: 0.5 },
    ],
    [
      "p95 over the limit fails on latency",
      [...Array.from({ length: 18 }, () => ok(5)), ok(60), ok(70)],
      { pass: false, reason: "analysis-latency", p95: 60 },
    ],
    [
      "one slow request in twenty is the p100, not the p95",
      [...Array.from({ length: 19 }, () => ok(5)), ok(500)],
      { pass: true, p95: 5 },
    ],
    [
      "errors do not count towards latency",
      [...Array.from({ length: 19 }, () => ok(5)), { status: 500, latencyMs: 9_000 }],
      { pass: true, p95: 5 },
    ],
  ])("%s", (_name, samples, want) => {
    const v = judgeAnalysis(samples, LIMITS);
    expect(v.observed.p99Ms).toBe(
      percentile(
        samples
          .filter((s) => s.status === 200)
          .map((s) => s.latencyMs)
          .sort((a, b) => a - b),
        0.99,
      ),
    );
    expect(v.pass).toBe(want.pass);
    if (!v.pass) expect(v.reason).toBe(want.reason);
    if (want.p95 !== undefined) expect(v.observed.p95Ms).toBe(want.p95);
    if (want.errorRate !== undefined) expect(v.observed.errorRate).toBeCloseTo(want.errorRate, 10);
    expect(v.observed.clientErrors).toBe(want.clientErrors ?? 0);
    expect(v.observed.requests).toBe(samples.length);
    expect(v.thresholds).toEqual(LIMITS);
  });

  const P99 = { ...LIMITS, maxLatencyP99Ms: 200 };
  const fast = Array.from({ length: 199 }, () => ok(5));
  it.each<[string, AnalysisSample[], { pass: boolean; p99: number }]>([
    [
      "a slow tail of 3 in 200 above the p99 limit fails though the p95 holds",
      [...fast.slice(2), ok(300), ok(400), ok(500)],
      { pass: false, p99: 300 },
    ],
    [
      "two slow answers in 200 are above the p99 (nearest rank 198)",
      [...fast.slice(1), ok(900), ok(900)],
      { pass: true, p99: 5 },
    ],
    ["a p99 at the limit passes", [...fast.slice(2), ok(200), ok(200), ok(200)], { pass: true, p99: 200 }],
  ])("p99 limit: %s", (_name, samples, want) => {
    const v = judgeAnalysis(samples, P99);
    expect(v.observed.p95Ms).toBe(5);
    expect(v.observed.p99Ms).toBe(want.p99);
    expect(v.pass).toBe(want.pass);
    if (!v.pass) {
      expect(v.reason).toBe("analysis-latency");
      expect(v.message).toBe("latency p99 300 ms is above the limit 200 ms");
    }
  });

  it("names the observed values, the limit and the first error in its message", () => {
    const v = judgeAnalysis([ok(1), { status: 500, latencyMs: 1, error: 'HTTP 500: {"error":"boom"}' }], {
      maxErrorRate: 0,
      maxLatencyP95Ms: 50,
    });
    expect(v.pass).toBe(false);
    if (v.pass) return;
    expect(v.message).toBe('error rate 50% (1/2) is above the limit 0% (first: HTTP 500: {"error":"boom"})');
    expect(v.observed.statuses).toEqual({ "200": 1, "500": 1 });
  });

  it.each([
    [[], 0.95, null],
    [[7], 0.95, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4], 0.95, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
  ])("percentile(%j, %d) = %s (nearest rank)", (values, p, want) => {
    expect(percentile(values, p)).toBe(want);
  });

  it.each([
    ["agreement at the floor passes", 8, true],
    ["agreement below the floor fails", 7, false],
  ])("%s", (_name, agreed, pass) => {
    const agreement = { kind: "classification" as const, rows: 10, agreed, rate: agreed / 10 };
    const v = judgeAnalysis([ok(5)], { ...LIMITS, minAgreement: 0.8 }, agreement);
    expect(v.pass).toBe(pass);
    expect(v.observed.agreement).toEqual(agreement);
    if (!v.pass) {
      expect(v.reason).toBe("analysis-disagreement");
      expect(v.message).toBe(
        "the new version agrees with the live one on 70% of 10 reference rows (classification), below the floor 80%",
      );
    }
  });
});
