import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { planSweep } from "../../core/sweep/plan-sweep.ts";

// PyTorch cannot be installed here, so the example is checked statically: its config, that
// train.py compiles, and (through Python's own parser) that it calls what it claims to.
const DIR = fileURLToPath(new URL("../../examples/pytorch-ddp/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const CALLS = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
def name(n):
    if isinstance(n, ast.Attribute): return name(n.value) + "." + n.attr
    if isinstance(n, ast.Name): return n.id
    return "?"
calls = sorted({name(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)})
strings = sorted({c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)})
print(json.dumps({"calls": calls, "strings": strings}))
`;

describe("examples/pytorch-ddp", () => {
  it("has a config that validates, launching train.py with torchrun", async () => {
    const file = `${DIR}modelship.yml`;
    const parsed = parseConfig(await readFile(file, "utf8"), file);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const { train, metrics } = parsed.config;
    expect(train.command).toMatch(/^torchrun --standalone --nproc_per_node=\S+ (\S+\/train\.py)$/);
    const script = /(\S+\/train\.py)$/.exec(train.command ?? "")?.[1] ?? "";
    expect(existsSync(`${ROOT}${script}`)).toBe(true);
    expect(train.runner.labels).toContain("gpu");
    expect(metrics.primary).toBe("validation.accuracy");
    const sweep = planSweep(train.search, { trials: 4, sampler: "random", seed: 1 });
    expect(sweep.ok).toBe(true);
  });

  it("compiles with python3 -m py_compile", () => {
    // The bytecode goes to a temporary folder, not into the example's __pycache__.
    const r = spawnSync("python3", ["-m", "py_compile", `${DIR}train.py`], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPYCACHEPREFIX: mkdtempSync(join(tmpdir(), "ms-pyc-")) },
    });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("uses DDP under torchrun, checkpoints, and writes the files its config names", async () => {
    const r = spawnSync("python3", ["-c", CALLS, `${DIR}train.py`], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { calls, strings } = JSON.parse(r.stdout) as { calls: string[]; strings: string[] };
    for (const c of [
      "dist.init_process_group",
      "DistributedDataParallel",
      "DistributedSampler",
      "dist.all_reduce",
      "torch.onnx.export",
      "torch.save",
      "torch.load",
    ]) {
      expect(calls).toContain(c);
    }
    for (const s of [
      "MODELSHIP_OUTPUT_DIR",
      "MODELSHIP_PARAMS",
      "MODELSHIP_CHECKPOINT_DIR",
      "LOCAL_RANK",
      "metrics.json",
      "history.json",
      "model.onnx",
    ]) {
      expect(strings).toContain(s);
    }
    const config = await readFile(`${DIR}modelship.yml`, "utf8");
    expect(config).toContain("outputs: { metrics: metrics.json, history: history.json, model: model.onnx }");
  });
});
