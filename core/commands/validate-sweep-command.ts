import type { Config } from "../config/schema.ts";
import { MAX_TRIALS } from "../sweep/plan-sweep.ts";
import { PRUNERS, SAMPLERS, type PrunerName, type SamplerName } from "../sweep/study.ts";
import type { RawCommand } from "./parse-command.ts";
import type { ValidateCommandResult } from "./validate-command.ts";

/** The `/sweep` line users are shown when its arguments are wrong. */
export const SWEEP_USAGE = `/sweep N [--sampler ${SAMPLERS.join("|")}] [--pruner ${PRUNERS.join("|")}]`;

/**
 * `/sweep N [--sampler S] [--pruner P]`: N trials (1 to the matrix limit) of this pull request's
 * study; the sampler and pruner of a new study (left out: the study's own, or tpe and median).
 */
export function validateSweepCommand(raw: RawCommand, config: Config): ValidateCommandResult {
  const fail = (reason: Extract<ValidateCommandResult, { ok: false }>["reason"], message: string) =>
    ({ ok: false, reason, message }) as const;
  if (raw.named.length > 0) return fail("unexpected-argument", `usage: ${SWEEP_USAGE}`);
  if (Object.keys(config.train.search).length === 0) {
    return fail(
      "no-search-space",
      "there is nothing to search: the config declares no parameters under train.search",
    );
  }
  const [count, ...rest] = raw.positional;
  if (count === undefined) return fail("missing-argument", `usage: ${SWEEP_USAGE}, e.g. /sweep 8`);
  const trials = /^[0-9]{1,4}$/.test(count) ? Number(count) : Number.NaN;
  if (!(trials >= 1 && trials <= MAX_TRIALS)) {
    return fail(
      "value-out-of-range",
      `N must be a whole number of trials from 1 to ${MAX_TRIALS} (got '${show(count)}'); usage: ${SWEEP_USAGE}`,
    );
  }
  let sampler: SamplerName | null = null;
  let pruner: PrunerName | null = null;
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    const allowed: readonly string[] | undefined =
      flag === "--sampler" ? SAMPLERS : flag === "--pruner" ? PRUNERS : undefined;
    if (!allowed)
      return fail("unexpected-argument", `'${show(flag)}' is not an option; usage: ${SWEEP_USAGE}`);
    if ((flag === "--sampler" ? sampler : pruner) !== null)
      return fail("duplicate-parameter", `${flag} is given more than once`);
    if (value === undefined || !allowed.includes(value)) {
      return fail(
        "value-not-allowed",
        `${flag} must be one of ${allowed.map((a) => `\`${a}\``).join(", ")}${value === undefined ? "" : ` (got '${show(value)}')`}`,
      );
    }
    if (flag === "--sampler") sampler = value as SamplerName;
    else pruner = value as PrunerName;
  }
  return { ok: true, command: { name: "sweep", trials, sampler, pruner } };
}

function show(text: string): string {
  const plain = text.replace(/[^\w.\-+/ ]/g, "?");
  return plain.length > 40 ? `${plain.slice(0, 39)}…` : plain;
}
