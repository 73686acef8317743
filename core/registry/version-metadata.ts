import { z } from "zod";
import { describeSource } from "../data/data-snapshot.ts";
import { RunRecordSchema, type RunRecord } from "../run/run-record.ts";
import type { Artifact, RegisterInput } from "./registry-port.ts";

/** Identifies the metadata format stored with each version (a git tag message, a release body block). */
export const VERSION_METADATA_FORMAT = "modelship.version/1";

export const ArtifactSchema = z
  .object({
    path: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
  })
  .strict();

/** The metadata a backend stores with a version; everything in ModelVersion except the live aliases. */
export const VersionMetadataSchema = z
  .object({
    format: z.literal(VERSION_METADATA_FORMAT),
    name: z.string().min(1),
    version: z.string().min(1),
    createdAt: z.string().min(1),
    runId: z.string().min(1),
    metrics: z.record(z.string(), z.number()),
    params: z.record(z.string(), z.unknown()),
    dataFingerprint: z.string(),
    lineage: z
      .object({
        commit: z.string().nullable(),
        branch: z.string().nullable(),
        runId: z.string().min(1),
        parentVersion: z.string().nullable(),
        pr: z.number().int().positive().optional(),
        data: z
          .object({ version: z.string(), rows: z.number().int().nonnegative(), sources: z.array(z.string()) })
          .strict()
          .optional()
          .describe("The data snapshot the model was trained on: its version, row count and sources."),
      })
      .strict(),
    artifacts: z.array(ArtifactSchema).min(1),
    signature: RunRecordSchema.shape.signature,
  })
  .strict();
export type VersionMetadata = z.infer<typeof VersionMetadataSchema>;

/** A git-friendly message: a one-line subject (shown by `git tag -n`), a blank line, the JSON. */
export function renderVersionMessage(meta: VersionMetadata): string {
  return `modelship: ${meta.name} ${meta.version} (run ${meta.runId})\n\n${JSON.stringify(meta, null, 2)}\n`;
}

/** Parses the JSON body of a version message (the text after the subject line). */
export function parseVersionBody(
  body: string,
): { ok: true; metadata: VersionMetadata } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, message: `metadata is not JSON: ${(err as Error).message}` };
  }
  const parsed = VersionMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      message: `metadata is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
    };
  }
  return { ok: true, metadata: parsed.data };
}

/** The metadata stored with a new version: what registration decided, and the run it registers. */
export function createVersionMetadata(
  input: Pick<RegisterInput, "name" | "now" | "pr">,
  decision: { version: string; parentVersion: string | null },
  run: { record: RunRecord; artifacts: Artifact[] },
): VersionMetadata {
  const { record } = run;
  return {
    format: VERSION_METADATA_FORMAT,
    name: input.name,
    version: decision.version,
    createdAt: input.now.toISOString(),
    runId: record.runId,
    metrics: record.metrics,
    params: record.params,
    dataFingerprint: record.data.fingerprint,
    lineage: {
      commit: record.code.commit,
      branch: record.code.branch,
      runId: record.runId,
      parentVersion: decision.parentVersion,
      ...(input.pr !== undefined ? { pr: input.pr } : {}),
      ...dataLineage(record),
    },
    artifacts: run.artifacts,
    ...(record.signature ? { signature: record.signature } : {}),
  };
}

/** The data snapshot in a version's lineage, when the run recorded one. */
function dataLineage(record: RunRecord): { data?: { version: string; rows: number; sources: string[] } } {
  const { version, rows, sources } = record.data;
  if (!version || rows === undefined) return {};
  return { data: { version, rows, sources: (sources ?? []).map(describeSource) } };
}
