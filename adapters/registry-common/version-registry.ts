import { ModelshipError, type Problem } from "../../core/errors.ts";
import { createAliasEventRecord, type AliasEventRecord } from "../../core/registry/alias-event.ts";
import { aliasesOf, type AliasTargets } from "../../core/registry/alias-targets.ts";
import { checkVersionInput } from "../../core/registry/check-registry-input.ts";
import type {
  AliasEvent,
  AliasOptions,
  ModelVersion,
  RegisterInput,
  RegisterResult,
  Registry,
  VerifyResult,
} from "../../core/registry/registry-port.ts";
import {
  aliasRaceLost,
  aliasTargetMissing,
  versionNotFound,
  versionVanished,
} from "../../core/registry/registry-problems.ts";
import { compareListedVersions, toModelVersion } from "../../core/registry/to-model-version.ts";
import type { VersionMetadata } from "../../core/registry/version-metadata.ts";
import { normalizeVersion } from "../../core/version/semver.ts";
import { renderTag, type TagFormat } from "../../core/version/tag-format.ts";
import { readRunToRegister } from "./read-run-to-register.ts";
import { writeVerifiedDir, type ArtifactSink } from "./write-verified-dir.ts";

/** A valid version as a backend stored it; backends add what they need to read its files. */
export type StoredVersion = { metadata: VersionMetadata; tag: string };

/** The head of an alias's chain: the backend's id for it and the event it records, if it is one of ours. */
export type AliasHead = { id: string; event: AliasEventRecord | undefined };

export type VersionRegistryOptions = {
  /** Compare-and-swap attempts of setAlias before it gives up with concurrent-update. */
  aliasAttempts: number;
  /** The hint of version-not-found: where this backend's versions come from. */
  notFoundHint: string;
  aliasTargetMissingHint?: string;
};

/**
 * The part of a Registry that is the same whatever stores the versions: listing, reading,
 * resolving by version, `latest` or alias, verified materialization, and the compare-and-swap
 * loop that moves an alias. A backend supplies the storage: reading versions and alias heads,
 * checking a version's stored files, writing an alias's next head, and registering.
 */
export abstract class VersionRegistry<Found extends StoredVersion> implements Registry {
  protected readonly format: TagFormat;
  readonly #opts: VersionRegistryOptions;

  constructor(format: TagFormat, opts: VersionRegistryOptions) {
    this.format = format;
    this.#opts = opts;
  }

  abstract register(input: RegisterInput): Promise<RegisterResult>;
  abstract aliasHistory(name: string, alias: string): Promise<AliasEvent[]>;

  /** Every valid version of `name` (of every name when undefined), in any order. */
  protected abstract listStored(name?: string): Promise<StoredVersion[]>;
  /** The version stored under `tag`; undefined when there is none or it is another name's. */
  protected abstract findStored(name: string, tag: string): Promise<Found | undefined>;
  protected abstract aliasTargets(name?: string): Promise<AliasTargets>;
  /** The backend's ref of an alias; throws invalid-model-name or invalid-alias-name. */
  protected abstract aliasRef(name: string, alias: string): string;
  protected abstract aliasHead(ref: string): Promise<AliasHead | undefined>;
  /**
   * Writes `event` as the alias's new head, only if its head is still `head`. Returns undefined
   * when it did, or what happened when another writer got there first; throws on other failures.
   */
  protected abstract moveAlias(
    ref: string,
    head: AliasHead | undefined,
    event: AliasEventRecord,
    now: Date,
  ): Promise<string | undefined>;
  /** Checks a version's stored files against its manifest, handing verified files to `sink`. */
  protected abstract checkArtifacts(found: Found, sink: ArtifactSink): Promise<Problem[]>;

  /** Called between two attempts of setAlias, after the `attempt`-th lost. */
  protected async beforeAliasRetry(_attempt: number): Promise<void> {}

  async list(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) this.tagFor(name, "1.0.0");
    const stored = await this.listStored(name);
    const aliases = await this.aliasTargets(name);
    return stored
      .map((s) => toModelVersion(s.metadata, s.tag, aliasesOf(aliases, s.metadata.name, s.metadata.version)))
      .sort(compareListedVersions);
  }

  async get(name: string, version: string): Promise<ModelVersion | undefined> {
    const found = await this.find(name, version);
    if (found === undefined) return undefined;
    return this.#withAliases(name, found);
  }

  async latest(name: string): Promise<ModelVersion | undefined> {
    return (await this.list(name))[0];
  }

  async materialize(
    name: string,
    version: string,
    destDir: string,
  ): Promise<{ dir: string; version: ModelVersion }> {
    const found = await this.find(name, version);
    if (found === undefined) throw this.notFound(name, version);
    const dir = await writeVerifiedDir(destDir, (sink) => this.checkArtifacts(found, sink));
    return { dir, version: await this.#withAliases(name, found) };
  }

  async verify(name: string, version: string): Promise<VerifyResult> {
    let found;
    try {
      found = await this.find(name, version);
    } catch (err) {
      if (err instanceof ModelshipError) return { ok: false, problems: [...err.problems] };
      throw err;
    }
    if (found === undefined) return { ok: false, problems: [...this.notFound(name, version).problems] };
    const problems = await this.checkArtifacts(found, async () => {});
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, version: await this.#withAliases(name, found) };
  }

  async setAlias(
    name: string,
    alias: string,
    version: string | null,
    opts: AliasOptions,
  ): Promise<{ previous: string | null }> {
    const ref = this.aliasRef(name, alias);
    let target: string | null = null;
    if (version !== null) {
      const found = await this.find(name, version);
      if (found === undefined) throw this.notFound(name, version);
      target = found.metadata.version;
    }
    for (let attempt = 1; ; attempt++) {
      const head = await this.aliasHead(ref);
      const current = head?.event?.version ?? null;
      if (current === target) return { previous: current };
      const event = createAliasEventRecord({ name, alias, version: target, previous: current, opts });
      const lost = await this.moveAlias(ref, head, event, opts.now);
      if (lost === undefined) return { previous: current };
      if (attempt >= this.#opts.aliasAttempts)
        throw new ModelshipError(aliasRaceLost(name, alias, attempt, lost));
      await this.beforeAliasRetry(attempt);
    }
  }

  async resolve(name: string, ref: string): Promise<ModelVersion | undefined> {
    if (ref === "latest") return this.latest(name);
    if (normalizeVersion(ref) !== undefined) return this.get(name, ref);
    const head = await this.aliasHead(this.aliasRef(name, ref));
    const version = head?.event?.version;
    if (version === undefined || version === null) return undefined;
    const found = await this.get(name, version);
    if (found === undefined)
      throw new ModelshipError(aliasTargetMissing(name, ref, version, this.#opts.aliasTargetMissingHint));
    return found;
  }

  /** The tag of a version; throws invalid-model-name, invalid-version or invalid-tag-name. */
  protected tagFor(name: string, version: string): string {
    const r = renderTag(this.format, { name, version });
    if (!r.ok) throw new ModelshipError(r.problem);
    return r.tag;
  }

  /** A stored version by any spelling of its version; throws invalid-version. */
  protected async find(name: string, version: string): Promise<Found | undefined> {
    return this.findStored(name, this.tagFor(name, checkVersionInput(version)));
  }

  /** A version that registration decided exists, as the port returns it. */
  protected async mustGet(name: string, version: string): Promise<ModelVersion> {
    const found = await this.get(name, version);
    if (found === undefined) throw new ModelshipError(versionVanished(name, version));
    return found;
  }

  /** Checks the name, then reads and checks the run directory to register. */
  protected async readRun(input: RegisterInput, opts: { refuseFailed: boolean }) {
    this.tagFor(input.name, "1.0.0");
    const run = await readRunToRegister(input, opts);
    const problems = input.checkModel ? await input.checkModel(input.runDir) : [];
    if (problems.length > 0) throw new ModelshipError(problems);
    return run;
  }

  protected notFound(name: string, version: string): ModelshipError {
    return new ModelshipError(versionNotFound(name, version, this.#opts.notFoundHint));
  }

  async #withAliases(name: string, found: Found): Promise<ModelVersion> {
    const aliases = await this.aliasTargets(name);
    return toModelVersion(found.metadata, found.tag, aliasesOf(aliases, name, found.metadata.version));
  }
}
