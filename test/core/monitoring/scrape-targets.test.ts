import { describe, expect, it } from "vitest";
import { createScrapeTargets, scrapeAddress } from "../../../core/monitoring/scrape-targets.ts";

describe("scrapeAddress", () => {
  it.each([
    ["http://127.0.0.1:8080", "127.0.0.1:8080"],
    ["http://0.0.0.0:8080", "127.0.0.1:8080"],
    ["http://[::]:9000", "[::1]:9000"],
    ["http://[::1]:9000", "[::1]:9000"],
    ["http://serve.local", "serve.local:80"],
    ["https://serve.local", "serve.local:443"],
  ])("%s is scraped at %s", (url, address) => {
    expect(scrapeAddress(url)).toBe(address);
  });
});

describe("createScrapeTargets", () => {
  it.each([
    [
      "a router with both slots",
      {
        routerUrl: "http://0.0.0.0:8080",
        slots: [
          { colour: "blue", url: "http://127.0.0.1:41001" },
          { colour: "green", url: "http://127.0.0.1:41002" },
        ],
      },
      [
        { targets: ["127.0.0.1:8080"], labels: { __modelship_component: "router", environment: "staging" } },
        {
          targets: ["127.0.0.1:41001"],
          labels: { __modelship_component: "slot", environment: "staging", slot: "blue" },
        },
        {
          targets: ["127.0.0.1:41002"],
          labels: { __modelship_component: "slot", environment: "staging", slot: "green" },
        },
      ],
    ],
    [
      "a router with no slot yet",
      { routerUrl: "http://127.0.0.1:8080", slots: [] },
      [{ targets: ["127.0.0.1:8080"], labels: { __modelship_component: "router", environment: "staging" } }],
    ],
    ["a stopped router", { routerUrl: null, slots: [] }, []],
  ] as const)("%s", (_name, input, groups) => {
    expect(createScrapeTargets({ environment: "staging", ...input, slots: [...input.slots] })).toEqual(
      groups,
    );
  });
});
