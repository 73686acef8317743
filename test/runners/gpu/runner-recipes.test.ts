import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Pod } from "kubernetes-models/v1";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const GPU = join(ROOT, "runners/gpu");

type Container = {
  name: string;
  resources: { requests: Record<string, unknown>; limits: Record<string, unknown> };
};
type ArcValues = {
  githubConfigUrl: string;
  githubConfigSecret: string;
  runnerScaleSetName: string;
  minRunners: number;
  maxRunners: number;
  template: {
    spec: {
      nodeSelector: Record<string, string>;
      tolerations: { key: string; effect: string }[];
      containers: Container[];
      restartPolicy: string;
    };
  };
};

describe("actions-runner-controller values (arc-values.yaml)", () => {
  it("describe a runner scale set whose pod template is a valid Kubernetes Pod on GPU nodes", async () => {
    const values = parse(await readFile(join(GPU, "arc-values.yaml"), "utf8")) as ArcValues;
    expect(values.githubConfigUrl).toMatch(/^https:\/\/github\.com\//);
    expect(values.runnerScaleSetName).toMatch(/^[a-z0-9-]+$/);
    expect(values.minRunners).toBeLessThanOrEqual(values.maxRunners);
    // Validated against the official Kubernetes schema (throws on any invalid field).
    new Pod({ metadata: { name: "runner" }, spec: values.template.spec as never }).validate();
    const spec = values.template.spec;
    expect(spec.restartPolicy).toBe("Never");
    expect(spec.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
    expect(spec.tolerations).toContainEqual(
      expect.objectContaining({ key: "nvidia.com/gpu", effect: "NoSchedule" }),
    );
    // ARC finds the runner container by this name.
    const runner = spec.containers.find((c) => c.name === "runner");
    expect(runner?.resources.limits["nvidia.com/gpu"]).toBe(1);
    // Extended resources must request exactly what they limit.
    expect(runner?.resources.requests["nvidia.com/gpu"]).toBe(runner?.resources.limits["nvidia.com/gpu"]);
  });

  it("reject a broken pod template (the validation above can fail)", () => {
    const bad = {
      containers: [{ name: "runner", resources: { limits: { "nvidia.com/gpu": "one" } } }],
      restartPolicy: "Sometimes",
    };
    expect(() => new Pod({ metadata: { name: "runner" }, spec: bad as never }).validate()).toThrow();
  });
});

async function relativeImports(file: string, seen = new Set<string>()): Promise<Set<string>> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = await readFile(file, "utf8");
  for (const m of text.matchAll(/^import\s[^;]*?from\s+"([^"]+)";/gms)) {
    const spec = m[1]!;
    if (spec.startsWith(".")) await relativeImports(join(dirname(file), spec), seen);
    else expect(spec, `${relative(ROOT, file)} imports ${spec}`).toMatch(/^node:/);
  }
  return seen;
}

describe("the runner image (Dockerfile)", () => {
  it("copies every module the registration loop imports, and needs no npm package", async () => {
    const docker = await readFile(join(GPU, "Dockerfile"), "utf8");
    expect(docker).toMatch(/^FROM \$\{CUDA_IMAGE\}$/m);
    expect(docker).toMatch(/^ARG CUDA_IMAGE=nvidia\/cuda:[0-9.]+-[a-z0-9-]*runtime-ubuntu[0-9.]+$/m);
    expect(docker).toMatch(/^ARG NODE_MAJOR=24$/m);
    const copies = [...docker.matchAll(/^COPY (\S+) /gm)].map((m) => m[1]!);
    const covered = (path: string) =>
      copies.some(
        (c) => c === path || (c.endsWith("/*.ts") && dirname(path) === dirname(c) && path.endsWith(".ts")),
      );
    const modules = [...(await relativeImports(join(GPU, "main.ts")))].map((f) => relative(ROOT, f));
    expect(modules).toContain("core/errors.ts");
    for (const m of modules) expect(covered(m), `${m} is not copied into the image`).toBe(true);
  });

  it("has an entrypoint that refuses to start without a GPU", async () => {
    const entry = join(GPU, "entrypoint.sh");
    expect(spawnSync("bash", ["-n", entry]).status).toBe(0);
    const bin = await mkdtemp(join(tmpdir(), "ms-bin-"));
    await writeFile(join(bin, "nvidia-smi"), "#!/bin/sh\nexit 9\n");
    await chmod(join(bin, "nvidia-smi"), 0o755);
    const r = spawnSync("bash", [entry, "--repo", "acme/models"], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no GPU visible in the container; start it with --gpus all");
  });
});

describe("the systemd unit", () => {
  it("runs the loop with Node, restarts it, and stops it with SIGTERM and time to checkpoint", async () => {
    const unit = await readFile(join(GPU, "modelship-runner.service"), "utf8");
    const keys = Object.fromEntries(
      unit
        .split("\n")
        .filter((l) => /^[A-Za-z]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(unit).toMatch(/^\[Unit\]$[\s\S]*^\[Service\]$[\s\S]*^\[Install\]$/m);
    expect(keys["ExecStart"]).toMatch(
      /^\/usr\/bin\/node \/opt\/modelship\/runners\/gpu\/main\.ts --repo \S+ --labels \S*gpu\S* --runner-dir \S+$/,
    );
    expect(keys).toMatchObject({
      Restart: "always",
      KillSignal: "SIGTERM",
      EnvironmentFile: "/etc/modelship/runner.env",
      User: "runner",
    });
    expect(Number(keys["TimeoutStopSec"])).toBeGreaterThanOrEqual(60);
  });
});
