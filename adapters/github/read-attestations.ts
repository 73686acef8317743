import type { AttestationBundle } from "../../core/github/judge-attestations.ts";
import { httpStatus } from "./http-status.ts";

/** What listing a digest's attestations needs of an Octokit client. */
export type AttestationsPort = {
  request(
    route: "GET /repos/{owner}/{repo}/attestations/{subject_digest}",
    params: { owner: string; repo: string; subject_digest: string; per_page: number },
  ): Promise<{ data: { attestations?: Array<{ bundle?: AttestationBundle | null }> } }>;
};

/** The Sigstore bundles GitHub stores for a sha256 digest in this repository; none when it has none (404). */
export async function readAttestations(
  octokit: AttestationsPort,
  opts: { owner: string; repo: string; sha256: string },
): Promise<AttestationBundle[]> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/attestations/{subject_digest}", {
      owner: opts.owner,
      repo: opts.repo,
      subject_digest: `sha256:${opts.sha256}`,
      per_page: 100,
    });
    return (data.attestations ?? []).flatMap((a) => (a.bundle ? [a.bundle] : []));
  } catch (err) {
    if (httpStatus(err) === 404) return [];
    throw err;
  }
}
