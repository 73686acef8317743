import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FastHistogram } from "../../../runners/serve/fast-histogram.ts";
import { LATENCY_BUCKETS } from "../../../runners/serve/serve-metrics.ts";

type Observation = { labels: string[]; value: number };

const labelNames = ["model", "route"] as const;
const cases: Array<{ name: string; buckets: number[]; observations: Observation[]; reset?: number }> = [
  { name: "no observations", buckets: [1, 2], observations: [] },
  {
    name: "values on, between, below and above the bounds",
    buckets: LATENCY_BUCKETS,
    observations: [0, 0.0005, 0.0007, 0.001, 3, 10, 11, 1e9, -2, 0.1 + 0.2].map((value) => ({
      labels: ["m", "infer"],
      value,
    })),
  },
  {
    name: "series in the order of their first observation, label values escaped",
    buckets: [1, 8, 64],
    observations: [
      { labels: ["b", "infer"], value: 3 },
      { labels: ['a"\\\n', "model_ready"], value: 1 },
      { labels: ["b", "infer"], value: 100 },
      { labels: ["a", "infer"], value: 64 },
    ],
  },
  {
    name: "a reset forgets the series until they are observed again",
    buckets: [1, 2],
    observations: [
      { labels: ["x", "infer"], value: 1 },
      { labels: ["y", "infer"], value: 2 },
      { labels: ["y", "infer"], value: 0.5 },
      { labels: ["x", "infer"], value: 5 },
    ],
    reset: 2,
  },
];

function pair(buckets: number[]) {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: "t_seconds", help: "A test histogram.", labelNames, buckets };
  const fast = new FastHistogram({ ...config, registers: [ours] });
  const reference = new Histogram({ ...config, labelNames: [...labelNames], registers: [theirs] });
  return { ours, theirs, fast, reference };
}

describe("FastHistogram", () => {
  it.each(cases)("exports what prom-client's Histogram exports: $name", async (c) => {
    const { ours, theirs, fast, reference } = pair(c.buckets);
    c.observations.forEach((o, i) => {
      if (i === c.reset) {
        fast.reset();
        reference.reset();
      }
      fast.labels(...o.labels).observe(o.value);
      reference.labels(...o.labels).observe(o.value);
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it.each([NaN, Infinity, -Infinity])("rejects %s as prom-client does, counting nothing", async (value) => {
    const { ours, theirs, fast, reference } = pair([1]);
    expect(() => fast.labels("m", "infer").observe(value)).toThrow(TypeError);
    expect(() => reference.labels("m", "infer").observe(value)).toThrow(TypeError);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("gives the same child for the same label values and refuses a wrong number of them", () => {
    const { fast } = pair([1]);
    expect(fast.labels("m", "infer")).toBe(fast.labels("m", "infer"));
    expect(fast.labels("m", "infer")).not.toBe(fast.labels("m", "explain"));
    expect(() => fast.labels("m")).toThrow(/1 label values given, 2 expected/);
  });
});
