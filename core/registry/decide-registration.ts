import type { Problem } from "../errors.ts";
import { checkExplicitVersion, nextVersion, type Bump } from "../version/next-version.ts";
import { highestVersion, normalizeVersion } from "../version/semver.ts";
import type { RunRecord } from "../run/run-record.ts";
import type { Artifact, RegisterInput } from "./registry-port.ts";

/** A version already in the registry, as far as the decision needs it. */
export type RegisteredRun = { version: string; runId: string; artifacts: readonly Artifact[] };

export type RegistrationDecision =
  | { kind: "existing"; version: string }
  | { kind: "create"; version: string; parentVersion: string | null }
  | { kind: "reject"; problem: Problem };

/**
 * Decides what registering a run means given what is registered: the same run with the same files
 * is the existing version (idempotent); the same run with other files, or a version that is taken
 * or not greater than the latest, is rejected. `occupied` are tag versions that are not valid
 * registry versions (hand-made tags): never reused either.
 */
export function decideRegistration(input: {
  name: string;
  runId: string;
  artifacts: readonly Artifact[];
  bump: Bump | { exact: string };
  parentVersion?: string | null | undefined;
  registered: readonly RegisteredRun[];
  occupied?: readonly string[];
}): RegistrationDecision {
  const { name, runId, bump } = input;
  const same = input.registered.find((r) => r.runId === runId);
  if (same) {
    const changed = changedPaths(same.artifacts, input.artifacts);
    if (changed.length) {
      return reject(
        "run-artifacts-changed",
        `run ${runId} is already registered as ${name} ${same.version}, with different files (${changed.join(", ")})`,
        "A registered run is immutable: train again to get a new run, or register the run directory that was registered.",
      );
    }
    if (typeof bump === "object" && normalizeVersion(bump.exact) !== same.version) {
      return reject(
        "run-already-registered",
        `run ${runId} is already registered as ${name} ${same.version}; it cannot also be ${bump.exact}`,
        `Use ${same.version}, or train again to register a new run.`,
      );
    }
    return { kind: "existing", version: same.version };
  }

  const all = [...input.registered.map((r) => r.version), ...(input.occupied ?? [])];
  let version: string;
  if (typeof bump === "object") {
    const check = checkExplicitVersion(bump.exact, all);
    if (!check.ok) {
      return reject(
        check.code,
        `${name}: ${check.message}`,
        "Versions are never reused: pick one above the latest.",
      );
    }
    version = check.version;
  } else {
    version = nextVersion(highestVersion(all), bump);
  }

  let parentVersion = input.parentVersion;
  if (parentVersion === undefined) {
    parentVersion = highestVersion(input.registered.map((r) => r.version)) ?? null;
  } else if (parentVersion !== null) {
    const wanted = normalizeVersion(parentVersion);
    const found = input.registered.find((r) => r.version === wanted);
    if (!found)
      return reject("version-not-found", `parent version ${parentVersion} of ${name} is not registered`);
    parentVersion = found.version;
  }
  return { kind: "create", version, parentVersion };
}

/** decideRegistration for a backend's register: the request, the run it read, and what is stored now. */
export function decideRunRegistration(
  input: Pick<RegisterInput, "name" | "bump" | "parentVersion">,
  run: { record: RunRecord; artifacts: readonly Artifact[] },
  stored: { registered: readonly RegisteredRun[]; occupied: readonly string[] },
): RegistrationDecision {
  return decideRegistration({
    name: input.name,
    runId: run.record.runId,
    artifacts: run.artifacts,
    bump: input.bump,
    parentVersion: input.parentVersion,
    ...stored,
  });
}

/** Paths whose presence, size or digest differ between two manifests, sorted. */
export function changedPaths(a: readonly Artifact[], b: readonly Artifact[]): string[] {
  const key = (x: Artifact) => `${x.sha256}:${x.bytes}`;
  const left = new Map(a.map((x) => [x.path, key(x)]));
  const right = new Map(b.map((x) => [x.path, key(x)]));
  const paths = new Set([...left.keys(), ...right.keys()]);
  return [...paths].filter((p) => left.get(p) !== right.get(p)).sort();
}

function reject(code: string, message: string, hint?: string): RegistrationDecision {
  return { kind: "reject", problem: { code, message, ...(hint ? { hint } : {}) } };
}
