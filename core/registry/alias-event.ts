import { z } from "zod";
import type { AliasEvent, AliasOptions } from "./registry-port.ts";

export const ALIAS_EVENT_FORMAT = "modelship.alias/1";

/** Alias names: `production`, `staging`, `champion`… `latest` is reserved for the highest version. */
export const ALIAS_NAME_RE = /^[a-z0-9-]{1,63}$/;
export const RESERVED_ALIASES: readonly string[] = ["latest"];

/** Why `alias` cannot be used as an alias name; undefined when it can. */
export function checkAliasName(alias: string): string | undefined {
  if (!ALIAS_NAME_RE.test(alias))
    return `alias "${alias}" must be lower-case letters, digits or '-', at most 63 characters`;
  if (RESERVED_ALIASES.includes(alias)) return `"${alias}" is reserved: it always means the highest version`;
  return undefined;
}

/** One movement of an alias, stored as the message of one commit in the alias's chain. */
export const AliasEventRecordSchema = z
  .object({
    format: z.literal(ALIAS_EVENT_FORMAT),
    name: z.string().min(1),
    alias: z.string().min(1),
    version: z.string().nullable(),
    previous: z.string().nullable(),
    at: z.string().min(1),
    reason: z.string().optional(),
    actor: z.string().optional(),
  })
  .strict();
export type AliasEventRecord = z.infer<typeof AliasEventRecordSchema>;

/** Subject line for `git log`, a blank line, then the JSON record. */
export function renderAliasMessage(e: AliasEventRecord): string {
  const target = e.version ?? "(removed)";
  return `modelship: ${e.name} ${e.alias} -> ${target}\n\n${JSON.stringify(e, null, 2)}\n`;
}

/** Parses a full alias commit message; undefined when it is not one of ours. */
export function parseAliasMessage(message: string): AliasEventRecord | undefined {
  const at = message.indexOf("\n\n");
  if (at < 0) return undefined;
  try {
    const parsed = AliasEventRecordSchema.safeParse(JSON.parse(message.slice(at + 2)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The record of moving `alias` of `name` from `previous` to `version` (null: removing it). */
export function createAliasEventRecord(input: {
  name: string;
  alias: string;
  version: string | null;
  previous: string | null;
  opts: AliasOptions;
}): AliasEventRecord {
  const { opts } = input;
  return {
    format: ALIAS_EVENT_FORMAT,
    name: input.name,
    alias: input.alias,
    version: input.version,
    previous: input.previous,
    at: opts.now.toISOString(),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
  };
}

/** One entry of `aliasHistory` from a commit message of the alias's chain; undefined when it is not one of its events. */
export function aliasHistoryEvent(message: string, name: string, alias: string): AliasEvent | undefined {
  const e = parseAliasMessage(message);
  if (e === undefined || e.name !== name || e.alias !== alias) return undefined;
  return {
    version: e.version,
    at: e.at,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.actor !== undefined ? { actor: e.actor } : {}),
  };
}
