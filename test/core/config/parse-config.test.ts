import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../../core/config/json-schema.ts";
import { parseConfig } from "../../../core/config/parse-config.ts";
import { formatProblem } from "../../../core/errors.ts";

const FILE = ".github/modelship.yml";

describe("parseConfig", () => {
  it("fills every default for an empty file", () => {
    const r = parseConfig("", FILE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.model.task).toBe("classification");
    expect(r.config.registry.tagFormat).toBe("model/{name}/v{version}");
    expect(r.config.deploy.scaleDownDelaySeconds).toBe(30);
    expect(r.config.train.params.layers).toHaveLength(1);
  });

  it("keeps user values and fills the rest", () => {
    const r = parseConfig("train:\n  params:\n    epochs: 7\n", FILE);
    expect(r.ok && r.config.train.params.epochs).toBe(7);
    expect(r.ok && r.config.train.params.batchSize).toBe(32);
  });

  it.each([
    [
      "bad enum",
      "model:\n  task: clasify\n",
      2,
      9,
      /model\.task: expected one of "classification", "regression"/,
    ],
    [
      "unknown key points at the key",
      "deploy:\n  port: 80\n  colour: blue\n",
      3,
      3,
      /deploy: unknown key 'colour'/,
    ],
    ["out of range", "deploy:\n  port: 99999\n", 2, 9, /deploy\.port: .*65535/],
    ["wrong type", "train:\n  params:\n    epochs: many\n", 3, 13, /train\.params\.epochs: .*number/],
    [
      "nested gate",
      "metrics:\n  gates:\n    acc:\n      direction: up\n",
      4,
      18,
      /metrics\.gates\.acc\.direction/,
    ],
    [
      "bad transform op",
      "data:\n  transforms:\n    - { op: log, column: x }\n",
      3,
      13,
      /data\.transforms\.0/,
    ],
    [
      "tag format without version",
      "registry:\n  tagFormat: 'model/{name}'\n",
      2,
      14,
      /must contain \{version\}/,
    ],
    ["yaml syntax", "model: [\n", 2, 1, /./],
    ["duplicate key", "model: {}\nmodel: {}\n", 2, 1, /unique/],
  ])("%s → located error", (_name, text, line, column, message) => {
    const r = parseConfig(text, FILE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const first = r.problems[0]!;
    expect(first.where).toEqual({ file: FILE, line, column });
    expect(first.message).toMatch(message);
    expect(formatProblem(first)).toContain(`${FILE}:${line}:${column}: `);
  });

  it("reports one problem per mistake", () => {
    const r = parseConfig("model:\n  task: x\ndeploy:\n  port: -1\n", FILE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toHaveLength(2);
  });

  it("rejects a document that is not a mapping", () => {
    const r = parseConfig("- a\n- b\n", FILE);
    expect(r.ok ? "ok" : r.problems[0]!.code).toBe("config-not-a-mapping");
  });
});

describe("published JSON Schema", () => {
  it("is up to date with the zod schema (run `npm run schema`)", async () => {
    const onDisk = JSON.parse(await readFile("schema/modelship.schema.json", "utf8")) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
