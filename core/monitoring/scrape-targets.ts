import type { Colour } from "../rollout/rollout-types.ts";

/** One Prometheus `file_sd_configs` target group: addresses and the labels every series of them gets. */
export type ScrapeTargetGroup = { targets: string[]; labels: Record<string, string> };

/**
 * The label the shipped scrape config keeps targets by (`router` or `slot`). Prometheus drops
 * labels that start with `__` once relabelling is done, so series do not carry it.
 */
export const SCRAPE_COMPONENT_LABEL = "__modelship_component";

export type ScrapeTargetsInput = {
  environment: string;
  /** The router's public address, or null once it stopped. */
  routerUrl: string | null;
  /** The slot processes running now. */
  slots: Array<{ colour: Colour; url: string }>;
};

/** The `file_sd` target groups of a local environment: its router and each running slot. */
export function createScrapeTargets(input: ScrapeTargetsInput): ScrapeTargetGroup[] {
  const groups: ScrapeTargetGroup[] = [];
  const environment = input.environment;
  if (input.routerUrl !== null)
    groups.push({
      targets: [scrapeAddress(input.routerUrl)],
      labels: { [SCRAPE_COMPONENT_LABEL]: "router", environment },
    });
  for (const s of input.slots)
    groups.push({
      targets: [scrapeAddress(s.url)],
      labels: { [SCRAPE_COMPONENT_LABEL]: "slot", environment, slot: s.colour },
    });
  return groups;
}

/** `host:port` of a listening URL; a wildcard address (all interfaces) is scraped on loopback. */
export function scrapeAddress(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  if (u.hostname === "0.0.0.0") return `127.0.0.1:${port}`;
  if (u.hostname === "[::]") return `[::1]:${port}`;
  return `${u.hostname}:${port}`;
}
