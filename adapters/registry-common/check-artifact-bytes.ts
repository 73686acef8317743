import { createHash } from "node:crypto";
import type { Problem } from "../../core/errors.ts";
import type { Artifact } from "../../core/registry/registry-port.ts";
import type { ArtifactSink } from "./write-verified-dir.ts";

/**
 * Reads every recorded artifact through `read` and checks its size and sha256 against the
 * manifest. Verified files go to `sink` while no problem has been found (a caller that writes
 * them stages them; see writeVerifiedDir). Problems are returned, never thrown; `problems` are
 * those the caller already found.
 */
export async function checkArtifactBytes(input: {
  artifacts: readonly Artifact[];
  /** The stored bytes of one artifact, or why it is not a file that can be checked. */
  read: (artifact: Artifact) => Promise<Buffer | { problem: string }>;
  mismatch: (message: string) => Problem;
  sink: ArtifactSink;
  problems?: readonly Problem[];
}): Promise<Problem[]> {
  const { mismatch } = input;
  const problems = [...(input.problems ?? [])];
  for (const a of input.artifacts) {
    const bytes = await input.read(a);
    if (!Buffer.isBuffer(bytes)) {
      problems.push(mismatch(bytes.problem));
      continue;
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (bytes.length !== a.bytes || sha256 !== a.sha256) {
      problems.push(
        mismatch(
          `${a.path} has sha256 ${sha256} (${bytes.length} bytes), expected ${a.sha256} (${a.bytes} bytes)`,
        ),
      );
      continue;
    }
    if (problems.length === 0) await input.sink(a.path, bytes);
  }
  return problems;
}
