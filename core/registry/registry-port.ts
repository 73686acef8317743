import type { Problem } from "../errors.ts";
import type { Bump } from "../version/next-version.ts";
import type { RunRecord } from "../run/run-record.ts";

/** One file of a registered version, as recorded at registration and verified on every materialize. */
export type Artifact = { path: string; sha256: string; bytes: number };

/** Where a version came from. */
export type Lineage = {
  /** Commit the run trained from (run.json code.commit). */
  commit: string | null;
  branch: string | null;
  runId: string;
  /** The version this one supersedes; by default the latest version when it was registered. */
  parentVersion: string | null;
  pr?: number;
};

/** An immutable, registered model version. `aliases` are the aliases pointing at it when it was read. */
export type ModelVersion = {
  name: string;
  version: string;
  tag: string;
  createdAt: string;
  runId: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  dataFingerprint: string;
  lineage: Lineage;
  /** Every file of the run directory, sorted by path. */
  artifacts: Artifact[];
  signature?: NonNullable<RunRecord["signature"]>;
  aliases: string[];
};

/** What to register: a run directory (RUN_FILES layout) under a model name. */
export type RegisterInput = {
  runDir: string;
  name: string;
  /** A bump from the latest version, or an exact version that must be greater than every existing one. */
  bump: Bump | { exact: string };
  /** Defaults to the latest version at registration time; null for none. */
  parentVersion?: string | null;
  pr?: number;
  now: Date;
  /** Checks that the model loads and answers before the version is created (front doors that can load native modules pass it). */
  checkModel?: ModelLoadCheck;
};

/**
 * Loads a run directory's model and answers one request with it; the problems (model-load-failed)
 * when it cannot. Registration runs it, when given, before writing anything.
 */
export type ModelLoadCheck = (runDir: string) => Promise<Problem[]>;

export type RegisterResult = { outcome: "created" | "already-registered"; version: ModelVersion };

/** One movement of an alias, newest first in aliasHistory. `version: null` records a removal. */
export type AliasEvent = { version: string | null; at: string; reason?: string; actor?: string };

export type AliasOptions = { now: Date; reason?: string; actor?: string };

export type VerifyResult = { ok: true; version: ModelVersion } | { ok: false; problems: Problem[] };

/**
 * Reason codes a registry reports through ModelshipError. Closed set: callers may switch on it.
 *  - invalid-tag-format, invalid-tag-name, invalid-model-name, invalid-version, invalid-alias-name
 *  - run-dir-unreadable, run-dir-unstorable, run-dir-incomplete, run-failed, run-record-invalid,
 *    model-name-mismatch, model-load-failed
 *  - version-taken, version-not-greater, run-already-registered, run-artifacts-changed
 *  - version-not-found, artifact-digest-mismatch, destination-not-empty, registry-metadata-invalid
 *  - alias-target-missing, concurrent-update, ref-locked, not-a-git-repository, git-failed
 */
export type RegistryErrorCode =
  | "invalid-tag-format"
  | "invalid-tag-name"
  | "invalid-model-name"
  | "invalid-version"
  | "invalid-alias-name"
  | "run-dir-unreadable"
  | "run-dir-unstorable"
  | "model-load-failed"
  | "run-dir-incomplete"
  | "run-failed"
  | "run-record-invalid"
  | "model-name-mismatch"
  | "version-taken"
  | "version-not-greater"
  | "run-already-registered"
  | "run-artifacts-changed"
  | "version-not-found"
  | "artifact-digest-mismatch"
  | "destination-not-empty"
  | "registry-metadata-invalid"
  | "alias-target-missing"
  | "concurrent-update"
  | "ref-locked"
  | "not-a-git-repository"
  | "git-failed";

/**
 * The model registry. Versions are immutable and never reused; aliases are movable pointers with
 * a history. Failures throw ModelshipError with a RegistryErrorCode.
 */
export interface Registry {
  /** Stores a run directory as a new version; registering the same run again returns the existing one. */
  register(input: RegisterInput): Promise<RegisterResult>;
  /** Valid versions, grouped by name (ascending), each name's versions newest (highest) first. */
  list(name?: string): Promise<ModelVersion[]>;
  get(name: string, version: string): Promise<ModelVersion | undefined>;
  /** The highest version by semver precedence. */
  latest(name: string): Promise<ModelVersion | undefined>;
  /**
   * Writes the version's run directory to destDir (absent or empty), every file checked against its
   * sha256; on any mismatch throws artifact-digest-mismatch and leaves destDir untouched.
   */
  materialize(
    name: string,
    version: string,
    destDir: string,
  ): Promise<{ dir: string; version: ModelVersion }>;
  /** Re-reads every artifact and checks it against the recorded digests, without writing anything. */
  verify(name: string, version: string): Promise<VerifyResult>;
  /**
   * Points an alias at a version (null removes it). Safe against concurrent writers; setting the
   * version it already has records nothing. Returns the version it pointed at before.
   */
  setAlias(
    name: string,
    alias: string,
    version: string | null,
    opts: AliasOptions,
  ): Promise<{ previous: string | null }>;
  /** `ref` is a version (`1.2.0` or `v1.2.0`), `latest`, or an alias name. */
  resolve(name: string, ref: string): Promise<ModelVersion | undefined>;
  /** Every movement of an alias, newest first; empty when it was never set. */
  aliasHistory(name: string, alias: string): Promise<AliasEvent[]>;
}
