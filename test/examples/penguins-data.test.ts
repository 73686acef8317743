import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

// The example's data is the Palmer penguins file the vega-datasets package ships, with column
// names made into identifiers, text lower-cased and the one "." sex value read as missing.
const RENAME: Record<string, string> = {
  Species: "species",
  Island: "island",
  "Beak Length (mm)": "bill_length_mm",
  "Beak Depth (mm)": "bill_depth_mm",
  "Flipper Length (mm)": "flipper_length_mm",
  "Body Mass (g)": "body_mass_g",
  Sex: "sex",
};

function normalise(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      RENAME[k] ?? k,
      typeof v === "string" ? (v === "." ? null : v.toLowerCase()) : v,
    ]),
  );
}

describe("examples/penguins data", () => {
  it("is exactly vega-datasets' penguins.json after the documented clean-up", async () => {
    // The package's entry point fetches from a CDN; read the data file it ships next to it instead.
    const entry = createRequire(import.meta.url).resolve("vega-datasets");
    const source = join(dirname(entry), "..", "data", "penguins.json");
    const upstream = JSON.parse(await readFile(source, "utf8")) as Record<string, unknown>[];
    const shipped = JSON.parse(await readFile("examples/penguins/data/penguins.json", "utf8")) as unknown[];
    expect(shipped).toHaveLength(344);
    expect(shipped).toEqual(upstream.map(normalise));
  });
});
