import { z } from "zod";

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
