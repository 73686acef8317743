import { describe, expect, it } from "vitest";
import { expandEnvReferences } from "../../../core/config/expand-env-references.ts";
import { ModelshipError } from "../../../core/errors.ts";

const env = { TOKEN: "t0k", HOST: "db.internal", EMPTY: "" };

describe("expandEnvReferences", () => {
  it.each([
    ["Bearer ${TOKEN}", "Bearer t0k"],
    ["${HOST}:${TOKEN}", "db.internal:t0k"],
    ["no reference", "no reference"],
    ["$TOKEN and {TOKEN}", "$TOKEN and {TOKEN}"],
    ["${TOKEN}${TOKEN}", "t0kt0k"],
  ])("expands %s", (text, expected) => {
    expect(expandEnvReferences(text, env, "x")).toBe(expected);
  });

  it.each([
    ["${MISSING}", "MISSING"],
    ["${EMPTY}", "EMPTY"],
    ["${TOKEN} ${A} ${B}", "A, B"],
  ])("refuses %s naming %s and no value", (text, names) => {
    let err: unknown;
    try {
      expandEnvReferences(text, env, "data.sources[1].headers.Authorization");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("data-env-missing");
    expect((err as Error).message).toContain(
      `data.sources[1].headers.Authorization needs the environment variable`,
    );
    expect((err as Error).message).toContain(names);
    expect((err as Error).message).not.toContain("t0k");
  });
});
