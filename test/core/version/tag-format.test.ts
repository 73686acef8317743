import { describe, expect, it } from "vitest";
import { parseTag, parseTagFormat, renderTag, type TagFormat } from "../../../core/version/tag-format.ts";

function format(source: string): TagFormat {
  const r = parseTagFormat(source);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  return r.format;
}

describe("renderTag / parseTag", () => {
  it.each([
    ["model/{name}/v{version}", "iris", "1.0.0", "model/iris/v1.0.0"],
    [
      "model/{name}/v{version}",
      "my-model.v2",
      "10.2.3-rc.1+build.5",
      "model/my-model.v2/v10.2.3-rc.1+build.5",
    ],
    ["{name}@{version}", "iris_2", "1.2.3", "iris_2@1.2.3"],
    ["{version}/{name}", "iris", "1.2.3", "1.2.3/iris"],
    ["releases/{name}_v/{version}", "a_v", "1.0.0", "releases/a_v_v/1.0.0"],
    ["models/{name}@v{version}/final", "iris", "2.0.0", "models/iris@v2.0.0/final"],
  ])("%s renders %s %s as %s and parses it back", (source, name, version, tag) => {
    const f = format(source);
    expect(renderTag(f, { name, version })).toEqual({ ok: true, tag });
    expect(parseTag(f, tag)).toEqual({ name, version });
  });

  it("renders and parses a format without {name}", () => {
    const f = format("v{version}");
    expect(renderTag(f, { name: "iris", version: "1.0.0" })).toEqual({ ok: true, tag: "v1.0.0" });
    expect(parseTag(f, "v1.0.0")).toEqual({ name: undefined, version: "1.0.0" });
  });

  it.each([
    ["model/iris/v1.0", "not a version"],
    ["model/iris/1.0.0", "missing the v"],
    ["model/Iris/v1.0.0", "not a model name"],
    ["model/iris/v1.0.0/extra", "trailing text"],
    ["other/iris/v1.0.0", "another prefix"],
    ["model/a/b/v1.0.0", "a name with a slash"],
  ])("does not parse %s (%s)", (tag) => {
    expect(parseTag(format("model/{name}/v{version}"), tag)).toBeUndefined();
  });

  it.each([
    ["a..b", "invalid-tag-name"],
    ["a.lock", "invalid-tag-name"],
    ["Iris", "invalid-model-name"],
    ["-iris", "invalid-model-name"],
    ["a".repeat(64), "invalid-model-name"],
  ])("refuses the model name %s (%s)", (name, code) => {
    const r = renderTag(format("model/{name}/v{version}"), { name, version: "1.0.0" });
    expect(r.ok ? "ok" : r.problem.code).toBe(code);
  });

  it("refuses a version that is not semver", () => {
    const r = renderTag(format("model/{name}/v{version}"), { name: "iris", version: "1.0" });
    expect(r.ok ? "ok" : r.problem.code).toBe("invalid-version");
  });
});

describe("parseTagFormat", () => {
  it.each([
    ["{name}{version}", "unambiguously"],
    ["{name}-{version}", "unambiguously"],
    ["{name}.v{version}", "unambiguously"],
    ["models/{name}-v{version}/final", "unambiguously"],
    ["model/{name}", "{version} exactly once"],
    ["{version}/{version}", "{version} exactly once"],
    ["{name}/{name}/{version}", "{name} at most once"],
    ["model/{tag}/{version}", "unknown placeholder {tag}"],
    ["model/{name/{version}", "unmatched"],
    ["refs/tags/{name}/{version}", "must not start with refs/"],
    ["model//{name}/{version}", "'//'"],
    ["model/{name}/{version}.lock", "'.lock'"],
    ["model/{name} {version}", "character"],
    ["model/{name}/v{version}~1", "character"],
    ["model/{name}/.{version}", "begins with '.'"],
    ["model:{name}/{version}", 'character ":"'],
    ["{name}/v{version}/", "'/'"],
  ])("rejects %j (%s)", (source, why) => {
    const r = parseTagFormat(source);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]?.code).toBe("invalid-tag-format");
      expect(r.problems.map((p) => p.message).join("\n")).toContain(why);
    }
  });
});
