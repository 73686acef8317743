import type { Config, SearchDimension } from "../config/schema.ts";
import { normalizeVersion } from "../version/semver.ts";
import type { PrunerName, SamplerName } from "../sweep/study.ts";
import type { RawCommand } from "./parse-command.ts";
import { validateSweepCommand } from "./validate-sweep-command.ts";

export type TrainValue = number | string | boolean;

/** A command whose arguments were checked against the repository's config. */
export type Command =
  | { name: "train"; params: Record<string, TrainValue> }
  | { name: "compare"; baseline: string | null }
  | { name: "deploy"; environment: string }
  | { name: "rollback"; environment: string; version: string | null }
  | { name: "promote"; environment: string; version: string }
  | { name: "lock"; environment: string }
  | { name: "unlock"; environment: string }
  | { name: "ab-report"; environment: string }
  | { name: "sweep"; trials: number; sampler: SamplerName | null; pruner: PrunerName | null }
  | { name: "help" };

/** Why arguments were refused. Closed set, shown to users. */
export type CommandArgumentReason =
  | "unexpected-argument"
  | "missing-argument"
  | "unknown-parameter"
  | "duplicate-parameter"
  | "value-out-of-range"
  | "value-not-allowed"
  | "unknown-environment"
  | "invalid-version"
  | "invalid-reference"
  | "no-search-space";

export type ValidateCommandResult =
  { ok: true; command: Command } | { ok: false; reason: CommandArgumentReason; message: string };

const REF_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Environments a command may name: the default deploy environment plus `deploy.environments`. */
export function knownEnvironments(config: Config): string[] {
  return [...new Set([config.deploy.environment, ...Object.keys(config.deploy.environments)])];
}

/** Checks a parsed command's arguments against the config; values come back typed. */
export function validateCommand(raw: RawCommand, config: Config): ValidateCommandResult {
  const fail = (reason: CommandArgumentReason, message: string): ValidateCommandResult => ({
    ok: false,
    reason,
    message,
  });
  const noNamed = (): ValidateCommandResult | null =>
    raw.named.length > 0
      ? fail(
          "unexpected-argument",
          `/${raw.name} takes no key=value arguments (got '${show(raw.named[0]![0])}=…')`,
        )
      : null;
  const atMost = (n: number): ValidateCommandResult | null =>
    raw.positional.length > n
      ? fail("unexpected-argument", `/${raw.name} takes at most ${n} argument${n === 1 ? "" : "s"}`)
      : null;
  const env = (
    given: string | undefined,
  ): { ok: true; env: string } | { ok: false; result: ValidateCommandResult } => {
    const name = given ?? config.deploy.environment;
    const known = knownEnvironments(config);
    if (known.includes(name)) return { ok: true, env: name };
    return {
      ok: false,
      result: fail(
        "unknown-environment",
        `'${show(name)}' is not a configured environment; known: ${known.map((k) => `\`${k}\``).join(", ")}`,
      ),
    };
  };

  switch (raw.name) {
    case "sweep":
      return validateSweepCommand(raw, config);
    case "help":
      return noNamed() ?? atMost(0) ?? { ok: true, command: { name: "help" } };
    case "train": {
      const early = atMost(0);
      if (early) return early;
      const params: Record<string, TrainValue> = {};
      for (const [key, value] of raw.named) {
        const dim = Object.hasOwn(config.train.search, key) ? config.train.search[key] : undefined;
        if (!dim) {
          const allowed = Object.keys(config.train.search);
          return fail(
            "unknown-parameter",
            allowed.length === 0
              ? `'${show(key)}' cannot be set: the config declares no parameters under train.search`
              : `'${show(key)}' is not declared under train.search; allowed: ${allowed.map((k) => `\`${k}\``).join(", ")}`,
          );
        }
        if (Object.hasOwn(params, key))
          return fail("duplicate-parameter", `'${key}' is given more than once`);
        const checked = checkValue(key, value, dim);
        if (!checked.ok) return { ok: false, reason: checked.reason, message: checked.message };
        params[key] = checked.value;
      }
      return { ok: true, command: { name: "train", params } };
    }
    case "compare": {
      const early = noNamed() ?? atMost(1);
      if (early) return early;
      const ref = raw.positional[0];
      if (ref === undefined) return { ok: true, command: { name: "compare", baseline: null } };
      const version = normalizeVersion(ref);
      if (version) return { ok: true, command: { name: "compare", baseline: version } };
      if (!REF_RE.test(ref)) {
        return fail(
          "invalid-reference",
          `'${show(ref)}' is neither a version (1.2.0) nor an alias such as production`,
        );
      }
      return { ok: true, command: { name: "compare", baseline: ref } };
    }
    case "deploy":
    case "lock":
    case "unlock":
    case "ab-report": {
      const early = noNamed() ?? atMost(1);
      if (early) return early;
      const e = env(raw.positional[0]);
      if (!e.ok) return e.result;
      return { ok: true, command: { name: raw.name, environment: e.env } };
    }
    case "rollback": {
      const early = noNamed() ?? atMost(2);
      if (early) return early;
      const [a, b] = raw.positional;
      let envArg: string | undefined = a;
      let versionArg: string | undefined = b;
      if (a !== undefined && b === undefined && normalizeVersion(a)) {
        envArg = undefined;
        versionArg = a;
      }
      const e = env(envArg);
      if (!e.ok) return e.result;
      if (versionArg === undefined)
        return { ok: true, command: { name: "rollback", environment: e.env, version: null } };
      const version = normalizeVersion(versionArg);
      if (!version) return fail("invalid-version", `'${show(versionArg)}' is not a version such as 1.2.0`);
      return { ok: true, command: { name: "rollback", environment: e.env, version } };
    }
    case "promote": {
      const early = noNamed() ?? atMost(2);
      if (early) return early;
      const [v, envArg] = raw.positional;
      if (v === undefined || envArg === undefined) {
        return fail("missing-argument", "usage: /promote VERSION ENV, e.g. /promote 1.2.0 staging");
      }
      const version = normalizeVersion(v);
      if (!version) return fail("invalid-version", `'${show(v)}' is not a version such as 1.2.0`);
      const e = env(envArg);
      if (!e.ok) return e.result;
      return { ok: true, command: { name: "promote", environment: e.env, version } };
    }
  }
}

function checkValue(
  key: string,
  value: string,
  dim: SearchDimension,
): { ok: true; value: TrainValue } | { ok: false; reason: CommandArgumentReason; message: string } {
  if ("values" in dim) {
    const match = dim.values.find((v) => String(v) === value);
    if (match !== undefined) return { ok: true, value: match };
    return {
      ok: false,
      reason: "value-not-allowed",
      message: `${key} must be one of ${dim.values.map((v) => `\`${String(v)}\``).join(", ")} (got '${show(value)}')`,
    };
  }
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
  const bounds = `${dim.integer ? "an integer" : "a number"} between ${dim.min} and ${dim.max}`;
  if (!Number.isFinite(n) || n < dim.min || n > dim.max || (dim.integer && !Number.isInteger(n))) {
    return {
      ok: false,
      reason: "value-out-of-range",
      message: `${key} must be ${bounds} (got '${show(value)}')`,
    };
  }
  return { ok: true, value: n };
}

/** Untrusted text echoed in a reply: short, and stripped of anything but plain characters. */
function show(text: string): string {
  const plain = text.replace(/[^\w.\-+/ ]/g, "?");
  return plain.length > 40 ? `${plain.slice(0, 39)}…` : plain;
}
