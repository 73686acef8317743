import type { RawCommand } from "../commands/parse-command.ts";
import type { TrainValue } from "../commands/validate-command.ts";

const PREFIX = "modelship-params: ";

/** The line a training check run's output text carries, so "Re-run" can train with the same parameters. */
export function renderTrainParamsText(params: Record<string, TrainValue>): string {
  return `${PREFIX}${JSON.stringify(params)}`;
}

/**
 * Reads the parameters back from a check run's output text as a `/train` command, so they are
 * validated against the config again; an empty command when there are none or they are unreadable.
 */
export function trainCommandFromText(text: string | null | undefined): RawCommand {
  const empty: RawCommand = { name: "train", positional: [], named: [] };
  const line = (text ?? "").split("\n").find((l) => l.startsWith(PREFIX));
  if (!line || line.length > 2000) return empty;
  let value: unknown;
  try {
    value = JSON.parse(line.slice(PREFIX.length));
  } catch {
    return empty;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return empty;
  const named: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") return empty;
    named.push([k, String(v)]);
  }
  return { name: "train", positional: [], named };
}
