import { z } from "zod";
import type { Problem } from "../errors.ts";
import type { Artifact } from "../registry/registry-port.ts";

/** Where the init container fetches versions from: the repository's GitHub Releases, or a git remote's tags. */
export type ModelSource =
  | { registry: "github"; repository: string; apiUrl: string; tagFormat: string }
  | { registry: "git"; url: string; tagFormat: string };

/** One version for the init container to fetch, with the digests the deploy read from its registry entry. */
export type PinnedVersion = { name: string; version: string; artifacts: readonly Artifact[] };

/** The environment variables the init container reads (the token comes from a Secret, never from here). */
export const FETCH_ENV = {
  name: "MODELSHIP_MODEL_NAME",
  version: "MODELSHIP_MODEL_VERSION",
  artifacts: "MODELSHIP_MODEL_ARTIFACTS",
  registry: "MODELSHIP_REGISTRY",
  location: "MODELSHIP_REGISTRY_LOCATION",
  tagFormat: "MODELSHIP_TAG_FORMAT",
  apiUrl: "GITHUB_API_URL",
} as const;

/** The init container's environment for one pinned version. */
export function renderFetchEnv(
  source: ModelSource,
  pinned: PinnedVersion,
): Array<{ name: string; value: string }> {
  // Keys in Go's order (sorted), so Helm's `toJson` of the chart's values writes the same text.
  const artifacts = pinned.artifacts.map((a) => ({ bytes: a.bytes, path: a.path, sha256: a.sha256 }));
  return [
    { name: FETCH_ENV.name, value: pinned.name },
    { name: FETCH_ENV.version, value: pinned.version },
    { name: FETCH_ENV.artifacts, value: JSON.stringify(artifacts) },
    { name: FETCH_ENV.registry, value: source.registry },
    { name: FETCH_ENV.location, value: source.registry === "github" ? source.repository : source.url },
    { name: FETCH_ENV.tagFormat, value: source.tagFormat },
    ...(source.registry === "github" ? [{ name: FETCH_ENV.apiUrl, value: source.apiUrl }] : []),
  ];
}

const ArtifactListSchema = z
  .array(
    z
      .object({
        path: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
        bytes: z.number().int().nonnegative(),
      })
      .strict(),
  )
  .min(1);

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Reads the init container's environment back; problems (fetch-input-invalid) name the variable to fix. */
export function parseFetchEnv(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; source: ModelSource; pinned: PinnedVersion } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const bad = (variable: string, message: string) =>
    problems.push({
      code: "fetch-input-invalid",
      message: `${variable} ${message}`,
      hint: "The deploy writes these variables into the init container; redeploy rather than editing them.",
    });
  const need = (variable: string): string => {
    const value = env[variable];
    if (value === undefined || value === "") bad(variable, "is not set");
    return value ?? "";
  };
  const name = need(FETCH_ENV.name);
  const version = need(FETCH_ENV.version);
  const registry = need(FETCH_ENV.registry);
  const location = need(FETCH_ENV.location);
  const tagFormat = env[FETCH_ENV.tagFormat] || "model/{name}/v{version}";
  let artifacts: Artifact[] = [];
  const rawArtifacts = need(FETCH_ENV.artifacts);
  if (rawArtifacts !== "") {
    let json: unknown;
    try {
      json = JSON.parse(rawArtifacts);
    } catch {
      json = undefined;
    }
    const parsed = ArtifactListSchema.safeParse(json);
    if (parsed.success) artifacts = parsed.data;
    else bad(FETCH_ENV.artifacts, "is not a JSON list of {path, sha256, bytes}");
  }
  let source: ModelSource | undefined;
  if (registry === "github") {
    if (!REPOSITORY.test(location))
      bad(FETCH_ENV.location, `must be OWNER/REPO for the github registry, got '${location}'`);
    source = {
      registry,
      repository: location,
      apiUrl: env[FETCH_ENV.apiUrl] || "https://api.github.com",
      tagFormat,
    };
  } else if (registry === "git") {
    source = { registry, url: location, tagFormat };
  } else if (registry !== "") {
    bad(FETCH_ENV.registry, `must be github or git, got '${registry}'`);
  }
  if (problems.length > 0 || source === undefined) return { ok: false, problems };
  return { ok: true, source, pinned: { name, version, artifacts } };
}

const ModelSourceSchema = z.discriminatedUnion("registry", [
  z.object({
    registry: z.literal("github"),
    repository: z.string().regex(REPOSITORY),
    apiUrl: z.string().min(1),
    tagFormat: z.string().min(1),
  }),
  z.object({ registry: z.literal("git"), url: z.string().min(1), tagFormat: z.string().min(1) }),
]);

/** How a pod gets its version: fetched from `source` by the init container and checked against `artifacts`. */
export const ModelFetchSchema = z.object({ source: ModelSourceSchema, artifacts: ArtifactListSchema });
export type ModelFetch = z.infer<typeof ModelFetchSchema>;

/** Where the shared volume is mounted in both containers. */
export const MODELS_MOUNT = "/models";

/** Where a fetched version's run directory lands on the shared volume. */
export function fetchedModelUri(name: string, version: string): string {
  return `${MODELS_MOUNT}/${name}/${version}`;
}

/** The Secret (key `token`) the init container reads GITHUB_TOKEN from, when it exists. */
export const REGISTRY_TOKEN_SECRET = "modelship-registry";
