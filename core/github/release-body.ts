import { z } from "zod";
import { VersionMetadataSchema, type VersionMetadata } from "../registry/version-metadata.ts";
import { capText } from "./cap-text.ts";

export const RELEASE_RECORD_FORMAT = "modelship.release/1";
/** GitHub rejects release bodies longer than this. */
export const RELEASE_BODY_LIMIT = 125_000;
/** The manifest asset every version release carries, in `sha256sum -c` format. */
export const SHA256SUMS_ASSET = "SHA256SUMS";

const OPEN = "<!-- modelship:version";
const CLOSE = "-->";

/** What a release body's hidden block holds: the version metadata and each file's asset name. */
export const ReleaseRecordSchema = z
  .object({
    format: z.literal(RELEASE_RECORD_FORMAT),
    metadata: VersionMetadataSchema,
    /** Run-directory path → release asset name. */
    assets: z.record(z.string(), z.string().min(1)),
  })
  .strict();
export type ReleaseRecord = z.infer<typeof ReleaseRecordSchema>;

/**
 * The release body: the model card, then the record in a hidden HTML comment. `<` and `>` in the
 * JSON are written as \u003c and \u003e, so no string from a run can close the comment.
 * The card is cut to keep the body under GitHub's 125,000 characters.
 */
export function renderReleaseBody(
  card: string,
  record: ReleaseRecord,
): { ok: true; body: string } | { ok: false; message: string } {
  const json = JSON.stringify(record, null, 2).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  const block = `${OPEN}\n${json}\n${CLOSE}\n`;
  const room = RELEASE_BODY_LIMIT - block.length - 2;
  if (room < 200)
    return {
      ok: false,
      message: `the version metadata is ${block.length} characters; a release body holds ${RELEASE_BODY_LIMIT}`,
    };
  return { ok: true, body: `${capText(card.trimEnd(), room)}\n\n${block}` };
}

/** Reads the record back from a release body; a message says why when it is absent or invalid. */
export function parseReleaseBody(
  body: string | null | undefined,
): { ok: true; record: ReleaseRecord } | { ok: false; message: string } {
  if (!body) return { ok: false, message: "the release has no body" };
  const start = body.lastIndexOf(`${OPEN}\n`);
  if (start < 0) return { ok: false, message: "the release body has no modelship:version block" };
  const end = body.indexOf(`\n${CLOSE}`, start);
  if (end < 0) return { ok: false, message: "the modelship:version block is not closed" };
  let json: unknown;
  try {
    json = JSON.parse(body.slice(start + OPEN.length + 1, end));
  } catch (err) {
    return { ok: false, message: `the modelship:version block is not JSON: ${(err as Error).message}` };
  }
  const parsed = ReleaseRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      message: `the modelship:version block is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    };
  }
  const missing = parsed.data.metadata.artifacts.filter((a) => parsed.data.assets[a.path] === undefined);
  if (missing.length > 0)
    return { ok: false, message: `no asset is recorded for ${missing.map((a) => a.path).join(", ")}` };
  return { ok: true, record: parsed.data };
}

/**
 * Release asset names for run-directory paths: `/` becomes `.`, anything but letters, digits,
 * `.`, `_` and `-` becomes `-` (GitHub would rename it otherwise), no leading or trailing dot;
 * clashes (and the manifest's own name) get a numeric prefix. Deterministic for a given list.
 */
export function assetNames(paths: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>([SHA256SUMS_ASSET.toLowerCase()]);
  for (const path of [...paths].sort()) {
    const base =
      path
        .replace(/\//g, ".")
        .replace(/[^A-Za-z0-9._-]/g, "-")
        .replace(/^\.+|\.+$/g, "") || "file";
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${i}-${base}`;
    used.add(name.toLowerCase());
    out[path] = name;
  }
  return out;
}

/** The SHA256SUMS manifest: one `<sha256>  <asset name>` line per file, sorted by asset name. */
export function renderSha256Sums(metadata: VersionMetadata, assets: Record<string, string>): string {
  return (
    metadata.artifacts
      .map((a) => `${a.sha256}  ${assets[a.path] ?? a.path}`)
      .sort((x, y) => (x.slice(66) < y.slice(66) ? -1 : 1))
      .join("\n") + "\n"
  );
}
