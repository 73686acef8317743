import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import { refComponent } from "../../core/github/deploy-lock.ts";
import {
  assetNames,
  parseReleaseBody,
  renderReleaseBody,
  renderSha256Sums,
  RELEASE_RECORD_FORMAT,
  SHA256SUMS_ASSET,
  type ReleaseRecord,
} from "../../core/github/release-body.ts";
import {
  ALIAS_EVENT_FORMAT,
  checkAliasName,
  parseAliasMessage,
  renderAliasMessage,
} from "../../core/registry/alias-event.ts";
import { decideRegistration } from "../../core/registry/decide-registration.ts";
import type {
  AliasEvent,
  AliasOptions,
  Artifact,
  ModelVersion,
  RegisterInput,
  RegisterResult,
  Registry,
  VerifyResult,
} from "../../core/registry/registry-port.ts";
import { VERSION_METADATA_FORMAT, type VersionMetadata } from "../../core/registry/version-metadata.ts";
import { renderModelCard } from "../../core/report/render-model-card.ts";
import { compareVersions, normalizeVersion } from "../../core/version/semver.ts";
import { parseTag, parseTagFormat, renderTag, type TagFormat } from "../../core/version/tag-format.ts";
import { listRunFiles } from "../registry-git/list-run-files.ts";
import { createFileCommit, isRefExists, readRef, shortRef, type GitDataPort } from "./git-data.ts";
import { githubMessage, httpStatus } from "./http-status.ts";

/** Where alias chains live: one branch per model and alias, e.g. `modelship-alias/iris/production`. */
export const ALIAS_BRANCH_PREFIX = "refs/heads/modelship-alias/";

type AssetData = { id: number; name: string; size: number; state?: string };
type ReleaseData = {
  id: number;
  tag_name: string;
  body?: string | null;
  draft: boolean;
  upload_url: string;
  html_url: string;
  assets: AssetData[];
};

/** What the GitHub Releases registry needs of an Octokit client. */
export type ReleasesRegistryPort = GitDataPort & {
  request(options: {
    method: string;
    url: string;
    name: string;
    data: Uint8Array;
    headers: Record<string, string>;
  }): Promise<{ data: unknown }>;
  rest: GitDataPort["rest"] & {
    git: GitDataPort["rest"]["git"] & {
      listMatchingRefs(params: {
        owner: string;
        repo: string;
        ref: string;
      }): Promise<{ data: Array<{ ref: string; object: { sha: string } }> }>;
    };
    repos: {
      get(params: { owner: string; repo: string }): Promise<{ data: { default_branch: string } }>;
      listReleases(params: {
        owner: string;
        repo: string;
        per_page?: number;
        page?: number;
      }): Promise<{ data: ReleaseData[] }>;
      getReleaseByTag(params: { owner: string; repo: string; tag: string }): Promise<{ data: ReleaseData }>;
      createRelease(params: {
        owner: string;
        repo: string;
        tag_name: string;
        target_commitish?: string;
        name?: string;
        body?: string;
        draft?: boolean;
        prerelease?: boolean;
        make_latest?: "true" | "false" | "legacy";
      }): Promise<{ data: ReleaseData }>;
      updateRelease(params: {
        owner: string;
        repo: string;
        release_id: number;
        body?: string;
        draft?: boolean;
        make_latest?: "true" | "false" | "legacy";
      }): Promise<{
        data: ReleaseData;
      }>;
      listReleaseAssets(params: {
        owner: string;
        repo: string;
        release_id: number;
        per_page?: number;
        page?: number;
      }): Promise<{ data: AssetData[] }>;
      getReleaseAsset(params: {
        owner: string;
        repo: string;
        asset_id: number;
        headers?: Record<string, string>;
      }): Promise<{ data: unknown }>;
      deleteReleaseAsset(params: { owner: string; repo: string; asset_id: number }): Promise<unknown>;
    };
  };
};

export type ReleasesRegistryOptions = {
  owner: string;
  repo: string;
  /** `registry.tagFormat`, e.g. `model/{name}/v{version}`. */
  tagFormat: string;
  /** The commit (SHA or branch) version tags point at; defaults to the default branch's head. */
  targetCommitish?: string;
  /** Links for the model card's lineage, e.g. the workflow run. */
  lineageLinks?: Record<string, string>;
  /** How long to wait for a concurrent registration that took a tag to create its release. */
  raceWaitMs?: number;
};

const REGISTER_ATTEMPTS = 5;
const ALIAS_ATTEMPTS = 10;
const MAX_ALIAS_HISTORY = 1000;

type Scanned = {
  release: ReleaseData;
  tag: string;
  record?: ReleaseRecord;
  invalid?: string;
  parsed: { name: string | undefined; version: string };
};

/**
 * The model registry on GitHub: each version is a tag plus a GitHub Release whose body is the
 * model card followed by a hidden block with the version metadata, and whose assets are the run
 * directory's files plus a `SHA256SUMS` manifest. Each alias is a branch
 * `modelship-alias/<name>/<alias>` whose commit chain is the alias's history.
 */
export async function openGitHubReleasesRegistry(
  octokit: ReleasesRegistryPort,
  opts: ReleasesRegistryOptions,
): Promise<Registry> {
  const parsed = parseTagFormat(opts.tagFormat);
  if (!parsed.ok) throw new ModelshipError(parsed.problems);
  return new ReleasesRegistry(octokit, opts, parsed.format);
}

class ReleasesRegistry implements Registry {
  readonly #gh: ReleasesRegistryPort;
  readonly #opts: ReleasesRegistryOptions;
  readonly #format: TagFormat;
  readonly #repo: { owner: string; repo: string };

  constructor(gh: ReleasesRegistryPort, opts: ReleasesRegistryOptions, format: TagFormat) {
    this.#gh = gh;
    this.#opts = opts;
    this.#format = format;
    this.#repo = { owner: opts.owner, repo: opts.repo };
  }

  async register(input: RegisterInput): Promise<RegisterResult> {
    this.#tagFor(input.name, "1.0.0");
    const { record, files } = await listRunFiles(input.runDir);
    if (record.status === "failed") {
      throw new ModelshipError({
        code: "run-record-invalid",
        message: `run ${record.runId} failed; a failed run is never registered`,
      });
    }
    if (record.model.name !== input.name) {
      throw new ModelshipError({
        code: "model-name-mismatch",
        message: `run ${record.runId} trained model "${record.model.name}", not "${input.name}"`,
        where: { file: join(input.runDir, "run.json") },
        hint: "Register it under the name in run.json, or check model.name in modelship.yml.",
      });
    }
    const artifacts: Artifact[] = files.map(({ path, sha256, bytes }) => ({ path, sha256, bytes }));

    for (let attempt = 1; ; attempt++) {
      const scan = await this.#scan(input.name);
      const decision = decideRegistration({
        name: input.name,
        runId: record.runId,
        artifacts,
        bump: input.bump,
        ...(input.parentVersion !== undefined ? { parentVersion: input.parentVersion } : {}),
        registered: [...scan.valid, ...scan.drafts].map((e) => ({
          version: e.record.metadata.version,
          runId: e.record.metadata.runId,
          artifacts: e.record.metadata.artifacts,
        })),
        occupied: scan.occupied,
      });
      if (decision.kind === "reject") throw new ModelshipError(decision.problem);
      if (decision.kind === "existing") {
        const draft = scan.drafts.find((d) => d.record.metadata.version === decision.version);
        if (draft !== undefined) {
          // A registration of this run stopped half-way: finish it.
          await this.#uploadAndPublish(draft.release, draft.record, files);
          return { outcome: "created", version: await this.#mustGet(input.name, decision.version) };
        }
        return { outcome: "already-registered", version: await this.#mustGet(input.name, decision.version) };
      }

      const tag = this.#tagFor(input.name, decision.version);
      const metadata: VersionMetadata = {
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
        },
        artifacts,
        ...(record.signature ? { signature: record.signature } : {}),
      };
      const releaseRecord: ReleaseRecord = {
        format: RELEASE_RECORD_FORMAT,
        metadata,
        assets: assetNames(artifacts.map((a) => a.path)),
      };
      const card = renderModelCard(record, {
        version: decision.version,
        ...(decision.parentVersion !== null ? { parentVersion: decision.parentVersion } : {}),
        lineage: {
          ...(input.pr !== undefined ? { "Pull request": `#${input.pr}` } : {}),
          ...this.#opts.lineageLinks,
        },
      });
      const body = renderReleaseBody(card, releaseRecord);
      if (!body.ok)
        throw new ModelshipError({
          code: "registry-metadata-invalid",
          message: `${input.name} ${decision.version}: ${body.message}`,
        });

      // Claim the version: creating the tag ref is atomic, a second create answers 422.
      const target = await this.#targetSha();
      try {
        await this.#gh.rest.git.createRef({ ...this.#repo, ref: `refs/tags/${tag}`, sha: target });
      } catch (err) {
        if (!isRefExists(err)) throw githubFailed(`cannot create tag ${tag}`, err);
        if (attempt >= REGISTER_ATTEMPTS) {
          throw new ModelshipError({
            code: "concurrent-update",
            message: `could not register ${input.name}: ${attempt} versions were taken by concurrent registrations`,
            hint: "Try again.",
          });
        }
        await this.#waitForRelease(tag);
        continue;
      }
      let release: ReleaseData;
      try {
        // A draft until every asset is uploaded: a half-made version is never listed.
        ({ data: release } = await this.#gh.rest.repos.createRelease({
          ...this.#repo,
          tag_name: tag,
          target_commitish: target,
          name: `${input.name} ${decision.version}`,
          body: body.body,
          draft: true,
          prerelease: decision.version.includes("-"),
          make_latest: "false",
        }));
      } catch (err) {
        if (httpStatus(err) === 422 && attempt < REGISTER_ATTEMPTS) continue;
        throw githubFailed(`cannot create the release for ${tag}`, err);
      }
      await this.#uploadAndPublish(release, releaseRecord, files);
      return { outcome: "created", version: toModelVersion(metadata, tag, []) };
    }
  }

  async list(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) this.#tagFor(name, "1.0.0");
    const scan = await this.#scan(name);
    const aliases = await this.#aliasTargets(name);
    return scan.valid
      .map((e) =>
        toModelVersion(
          e.record.metadata,
          e.tag,
          aliases.get(key(e.record.metadata.name, e.record.metadata.version)) ?? [],
        ),
      )
      .sort((a, b) => (a.name === b.name ? compareVersions(b.version, a.version) : a.name < b.name ? -1 : 1));
  }

  async get(name: string, version: string): Promise<ModelVersion | undefined> {
    const found = await this.#find(name, version);
    if (found === undefined) return undefined;
    const aliases = await this.#aliasTargets(name);
    return toModelVersion(
      found.record.metadata,
      found.tag,
      aliases.get(key(name, found.record.metadata.version)) ?? [],
    );
  }

  async latest(name: string): Promise<ModelVersion | undefined> {
    return (await this.list(name))[0];
  }

  async materialize(
    name: string,
    version: string,
    destDir: string,
  ): Promise<{ dir: string; version: ModelVersion }> {
    const found = await this.#find(name, version);
    if (found === undefined) throw notFound(name, version);
    const dir = resolvePath(destDir);
    const state = await dirState(dir);
    if (state === "non-empty") {
      throw new ModelshipError({
        code: "destination-not-empty",
        message: `${dir} already exists and is not empty`,
        hint: "Materialize into a new or empty directory.",
      });
    }
    await mkdir(dirname(dir), { recursive: true });
    const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}.modelship-`));
    try {
      const problems = await this.#checkAssets(found, async (path, bytes) => {
        await mkdir(dirname(join(staging, path)), { recursive: true });
        await writeFile(join(staging, path), bytes);
      });
      if (problems.length > 0) throw new ModelshipError(problems);
      if (state === "empty") await rmdir(dir);
      await rename(staging, dir);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    const aliases = await this.#aliasTargets(name);
    return {
      dir,
      version: toModelVersion(
        found.record.metadata,
        found.tag,
        aliases.get(key(name, found.record.metadata.version)) ?? [],
      ),
    };
  }

  async verify(name: string, version: string): Promise<VerifyResult> {
    let found;
    try {
      found = await this.#find(name, version);
    } catch (err) {
      if (err instanceof ModelshipError) return { ok: false, problems: [...err.problems] };
      throw err;
    }
    if (found === undefined) return { ok: false, problems: [...notFound(name, version).problems] };
    const problems = await this.#checkAssets(found, async () => {});
    if (problems.length > 0) return { ok: false, problems };
    const aliases = await this.#aliasTargets(name);
    return {
      ok: true,
      version: toModelVersion(
        found.record.metadata,
        found.tag,
        aliases.get(key(name, found.record.metadata.version)) ?? [],
      ),
    };
  }

  async setAlias(
    name: string,
    alias: string,
    version: string | null,
    opts: AliasOptions,
  ): Promise<{ previous: string | null }> {
    const ref = this.#aliasRef(name, alias);
    let target: string | null = null;
    if (version !== null) {
      const found = await this.#find(name, version);
      if (found === undefined) throw notFound(name, version);
      target = found.record.metadata.version;
    }
    for (let attempt = 1; ; attempt++) {
      const head = await this.#aliasHead(ref);
      const current = head?.event?.version ?? null;
      if (current === target) return { previous: current };
      const event = {
        format: ALIAS_EVENT_FORMAT,
        name,
        alias,
        version: target,
        previous: current,
        at: opts.now.toISOString(),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
      } as const;
      const commit = await createFileCommit(this.#gh, this.#repo, {
        path: "alias.json",
        content: `${JSON.stringify(event, null, 2)}\n`,
        message: renderAliasMessage(event),
        parents: head !== undefined ? [head.sha] : [],
      });
      try {
        // Compare-and-swap: a create fails if the alias appeared, a non-forced update fails unless
        // it is a fast-forward from the head we read.
        if (head === undefined) await this.#gh.rest.git.createRef({ ...this.#repo, ref, sha: commit });
        else
          await this.#gh.rest.git.updateRef({ ...this.#repo, ref: shortRef(ref), sha: commit, force: false });
        return { previous: current };
      } catch (err) {
        if (httpStatus(err) !== 422) throw githubFailed(`cannot move alias ${alias}`, err);
        if (attempt >= ALIAS_ATTEMPTS) {
          throw new ModelshipError({
            code: "concurrent-update",
            message: `could not move alias ${alias} of ${name} after ${attempt} attempts: ${githubMessage(err)}`,
            hint: "Another writer keeps moving it; try again.",
          });
        }
      }
    }
  }

  async resolve(name: string, ref: string): Promise<ModelVersion | undefined> {
    if (ref === "latest") return this.latest(name);
    if (normalizeVersion(ref) !== undefined) return this.get(name, ref);
    const head = await this.#aliasHead(this.#aliasRef(name, ref));
    const version = head?.event?.version;
    if (version === undefined || version === null) return undefined;
    const found = await this.get(name, version);
    if (found === undefined) {
      throw new ModelshipError({
        code: "alias-target-missing",
        message: `alias ${ref} of ${name} points at ${version}, which is not in the registry`,
      });
    }
    return found;
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    const ref = this.#aliasRef(name, alias);
    let sha = await readRef(this.#gh, this.#repo, ref);
    const events: AliasEvent[] = [];
    for (let i = 0; sha !== undefined && i < MAX_ALIAS_HISTORY; i++) {
      const { data } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: sha });
      const e = parseAliasMessage(data.message);
      if (e !== undefined && e.name === name && e.alias === alias) {
        events.push({
          version: e.version,
          at: e.at,
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
          ...(e.actor !== undefined ? { actor: e.actor } : {}),
        });
      }
      sha = data.parents[0]?.sha;
    }
    return events;
  }

  // ---- internals ----

  #tagFor(name: string, version: string): string {
    const r = renderTag(this.#format, { name, version });
    if (!r.ok) throw new ModelshipError(r.problem);
    return r.tag;
  }

  #aliasRef(name: string, alias: string): string {
    this.#tagFor(name, "1.0.0"); // throws invalid-model-name
    const why = checkAliasName(alias);
    if (why !== undefined)
      throw new ModelshipError({
        code: "invalid-alias-name",
        message: why,
        hint: "Use a name such as production or staging.",
      });
    return `${ALIAS_BRANCH_PREFIX}${refComponent(name)}/${alias}`;
  }

  async #targetSha(): Promise<string> {
    let target = this.#opts.targetCommitish;
    if (target === undefined) {
      const { data } = await this.#gh.rest.repos.get(this.#repo);
      target = data.default_branch;
    }
    if (/^[0-9a-f]{40}$/.test(target)) return target;
    const sha =
      (await readRef(this.#gh, this.#repo, `refs/heads/${target}`)) ??
      (await readRef(this.#gh, this.#repo, `refs/tags/${target}`));
    if (sha === undefined)
      throw new ModelshipError({
        code: "git-failed",
        message: `cannot resolve ${target} to a commit in ${this.#repo.owner}/${this.#repo.repo}`,
      });
    return sha;
  }

  async #allReleases(): Promise<ReleaseData[]> {
    const out: ReleaseData[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.#gh.rest.repos.listReleases({ ...this.#repo, per_page: 100, page });
      out.push(...data);
      if (data.length < 100) return out;
    }
  }

  /** Version releases (published and valid), drafts of unfinished registrations, and versions held otherwise. */
  async #scan(name?: string): Promise<{
    valid: Array<Scanned & { record: ReleaseRecord }>;
    drafts: Array<Scanned & { record: ReleaseRecord }>;
    occupied: string[];
  }> {
    const valid: Array<Scanned & { record: ReleaseRecord }> = [];
    const drafts: Array<Scanned & { record: ReleaseRecord }> = [];
    const occupied: string[] = [];
    const withRelease = new Set<string>();
    for (const release of await this.#allReleases()) {
      const entry = this.#classify(release);
      if (entry === undefined) continue;
      withRelease.add(entry.tag);
      if (name !== undefined && this.#format.hasName && entry.parsed.name !== name) continue;
      const mine = entry.record !== undefined && (name === undefined || entry.record.metadata.name === name);
      if (mine && !release.draft) valid.push(entry as Scanned & { record: ReleaseRecord });
      else if (mine && release.draft) drafts.push(entry as Scanned & { record: ReleaseRecord });
      else occupied.push(entry.parsed.version);
    }
    // Tags without a release hold their version number too: versions are never reused.
    if (name !== undefined) {
      for (const tag of await this.#tagsOf(name)) {
        if (withRelease.has(tag)) continue;
        const p = parseTag(this.#format, tag);
        if (p !== undefined && (!this.#format.hasName || p.name === name)) occupied.push(p.version);
      }
    }
    return { valid, drafts, occupied };
  }

  #classify(release: ReleaseData): Scanned | undefined {
    const parsed = parseTag(this.#format, release.tag_name);
    if (parsed === undefined) return undefined;
    const entry: Scanned = { release, tag: release.tag_name, parsed };
    const body = parseReleaseBody(release.body);
    if (!body.ok) entry.invalid = body.message;
    else if (
      body.record.metadata.version !== parsed.version ||
      (parsed.name !== undefined && body.record.metadata.name !== parsed.name)
    ) {
      entry.invalid = `its metadata describes ${body.record.metadata.name} ${body.record.metadata.version}`;
    } else entry.record = body.record;
    return entry;
  }

  async #tagsOf(name: string): Promise<string[]> {
    // The literal text before the first placeholder narrows the listing.
    const probe = this.#tagFor(name, "0.0.0");
    const at = this.#format.source.indexOf("{");
    const prefix = probe.slice(0, Math.max(at, 0));
    const { data } = await this.#gh.rest.git.listMatchingRefs({ ...this.#repo, ref: `tags/${prefix}` });
    return data.map((r) => r.ref.replace(/^refs\/tags\//, ""));
  }

  async #find(name: string, version: string): Promise<(Scanned & { record: ReleaseRecord }) | undefined> {
    const canonical = normalizeVersion(version);
    if (canonical === undefined)
      throw new ModelshipError({
        code: "invalid-version",
        message: `"${version}" is not a semantic version`,
      });
    const tag = this.#tagFor(name, canonical);
    let release: ReleaseData;
    try {
      ({ data: release } = await this.#gh.rest.repos.getReleaseByTag({ ...this.#repo, tag }));
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw githubFailed(`cannot read the release ${tag}`, err);
    }
    const entry = this.#classify(release);
    if (entry?.record !== undefined && entry.record.metadata.name !== name) return undefined;
    if (entry?.record === undefined) {
      throw new ModelshipError({
        code: "registry-metadata-invalid",
        message: `release ${tag} is not a valid registry version: ${entry?.invalid ?? "its tag does not match the format"}`,
        hint: "It was not made by modelship, or its body was edited. Restore the modelship:version block or delete the release.",
      });
    }
    return entry as Scanned & { record: ReleaseRecord };
  }

  async #mustGet(name: string, version: string): Promise<ModelVersion> {
    const v = await this.get(name, version);
    if (v === undefined)
      throw new ModelshipError({ code: "version-not-found", message: `${name} ${version} vanished` });
    return v;
  }

  async #waitForRelease(tag: string): Promise<void> {
    const until = Date.now() + (this.#opts.raceWaitMs ?? 5000);
    while (Date.now() < until) {
      const releases = await this.#allReleases();
      if (releases.some((r) => r.tag_name === tag)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async #assets(releaseId: number): Promise<AssetData[]> {
    const out: AssetData[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.#gh.rest.repos.listReleaseAssets({
        ...this.#repo,
        release_id: releaseId,
        per_page: 100,
        page,
      });
      out.push(...data);
      if (data.length < 100) return out;
    }
  }

  /** Uploads every file not yet there intact (and SHA256SUMS), then publishes the draft. */
  async #uploadAndPublish(
    release: ReleaseData,
    record: ReleaseRecord,
    files: ReadonlyArray<{ path: string; absolute: string; bytes: number }>,
  ): Promise<void> {
    const existing = await this.#assets(release.id);
    const want: Array<{ name: string; data: () => Promise<Buffer>; bytes: number }> = files.map((f) => ({
      name: record.assets[f.path] as string,
      data: () => readFile(f.absolute),
      bytes: f.bytes,
    }));
    const sums = Buffer.from(renderSha256Sums(record.metadata, record.assets));
    want.push({ name: SHA256SUMS_ASSET, data: async () => sums, bytes: sums.length });
    for (const w of want) {
      const have = existing.find((a) => a.name === w.name);
      if (have !== undefined && have.size === w.bytes && (have.state ?? "uploaded") === "uploaded") continue;
      if (have !== undefined)
        await this.#gh.rest.repos.deleteReleaseAsset({ ...this.#repo, asset_id: have.id });
      await this.#gh.request({
        method: "POST",
        url: release.upload_url,
        name: w.name,
        data: await w.data(),
        headers: { "content-type": "application/octet-stream" },
      });
    }
    await this.#gh.rest.repos.updateRelease({
      ...this.#repo,
      release_id: release.id,
      draft: false,
      make_latest: "false",
    });
  }

  /**
   * Downloads every asset of a version and checks it against the recorded digests; the set of
   * assets must be exactly the recorded files plus SHA256SUMS, which must match too.
   */
  async #checkAssets(
    found: Scanned & { record: ReleaseRecord },
    sink: (path: string, bytes: Buffer) => Promise<void>,
  ): Promise<Problem[]> {
    const { metadata, assets: names } = found.record;
    const mismatch = (message: string): Problem => ({
      code: "artifact-digest-mismatch",
      message: `${metadata.name} ${metadata.version} (${found.tag}): ${message}`,
      hint: "The release's assets do not match their recorded digests: they were replaced or altered. Do not deploy it.",
    });
    const assets = await this.#assets(found.release.id);
    const byName = new Map(assets.map((a) => [a.name, a]));
    const expected = new Set([...metadata.artifacts.map((a) => names[a.path] as string), SHA256SUMS_ASSET]);
    const extra = assets.filter((a) => !expected.has(a.name)).map((a) => a.name);
    const missing = [...expected].filter((n) => !byName.has(n));
    const problems: Problem[] = [];
    if (extra.length > 0) problems.push(mismatch(`assets not in the manifest: ${extra.join(", ")}`));
    if (missing.length > 0) problems.push(mismatch(`assets missing: ${missing.join(", ")}`));
    if (problems.length > 0) return problems;
    const sums = await this.#download(byName.get(SHA256SUMS_ASSET) as AssetData);
    if (sums.toString("utf8") !== renderSha256Sums(metadata, names))
      problems.push(mismatch(`${SHA256SUMS_ASSET} does not match the recorded digests`));
    const verified: Array<[string, Buffer]> = [];
    for (const a of metadata.artifacts) {
      if (!isSafePath(a.path)) {
        problems.push(mismatch(`${a.path} is not a safe path`));
        continue;
      }
      const bytes = await this.#download(byName.get(names[a.path] as string) as AssetData);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (bytes.length !== a.bytes || sha256 !== a.sha256) {
        problems.push(
          mismatch(
            `${a.path} has sha256 ${sha256} (${bytes.length} bytes), expected ${a.sha256} (${a.bytes} bytes)`,
          ),
        );
        continue;
      }
      verified.push([a.path, bytes]);
    }
    // Nothing is handed to the sink until every file has been verified.
    if (problems.length === 0) for (const [path, bytes] of verified) await sink(path, bytes);
    return problems;
  }

  async #download(asset: AssetData): Promise<Buffer> {
    const { data } = await this.#gh.rest.repos.getReleaseAsset({
      ...this.#repo,
      asset_id: asset.id,
      headers: { accept: "application/octet-stream" },
    });
    if (data instanceof ArrayBuffer) return Buffer.from(data);
    if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (typeof data === "string") return Buffer.from(data, "utf8");
    throw new ModelshipError({
      code: "artifact-digest-mismatch",
      message: `asset ${asset.name} did not download as bytes`,
    });
  }

  /** "name@version" → aliases currently pointing at it. */
  async #aliasTargets(name?: string): Promise<Map<string, string[]>> {
    const prefix = name === undefined ? ALIAS_BRANCH_PREFIX : `${ALIAS_BRANCH_PREFIX}${refComponent(name)}/`;
    const { data } = await this.#gh.rest.git.listMatchingRefs({ ...this.#repo, ref: shortRef(prefix) });
    const map = new Map<string, string[]>();
    for (const r of data) {
      if (!r.ref.startsWith(prefix)) continue;
      const { data: commit } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: r.object.sha });
      const e = parseAliasMessage(commit.message);
      if (
        e === undefined ||
        e.version === null ||
        r.ref !== `${ALIAS_BRANCH_PREFIX}${refComponent(e.name)}/${e.alias}`
      )
        continue;
      const k = key(e.name, e.version);
      map.set(k, [...(map.get(k) ?? []), e.alias].sort());
    }
    return map;
  }

  async #aliasHead(
    ref: string,
  ): Promise<{ sha: string; event: ReturnType<typeof parseAliasMessage> } | undefined> {
    const sha = await readRef(this.#gh, this.#repo, ref);
    if (sha === undefined) return undefined;
    const { data } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: sha });
    return { sha, event: parseAliasMessage(data.message) };
  }
}

function toModelVersion(m: VersionMetadata, tag: string, aliases: string[]): ModelVersion {
  return {
    name: m.name,
    version: m.version,
    tag,
    createdAt: m.createdAt,
    runId: m.runId,
    metrics: m.metrics,
    params: m.params,
    dataFingerprint: m.dataFingerprint,
    lineage: {
      commit: m.lineage.commit,
      branch: m.lineage.branch,
      runId: m.lineage.runId,
      parentVersion: m.lineage.parentVersion,
      ...(m.lineage.pr !== undefined ? { pr: m.lineage.pr } : {}),
    },
    artifacts: m.artifacts,
    ...(m.signature ? { signature: m.signature } : {}),
    aliases,
  };
}

function key(name: string, version: string): string {
  return `${name}@${version}`;
}

function isSafePath(path: string): boolean {
  return (
    path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && s !== ".git") && !path.includes("\\")
  );
}

async function dirState(dir: string): Promise<"absent" | "empty" | "non-empty"> {
  try {
    return (await readdir(dir)).length > 0 ? "non-empty" : "empty";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "absent";
    if (code === "ENOTDIR") return "non-empty";
    throw err;
  }
}

function notFound(name: string, version: string): ModelshipError {
  return new ModelshipError({
    code: "version-not-found",
    message: `${name} ${version} is not in the registry`,
    hint: "List versions with `modelship registry list`.",
  });
}

function githubFailed(what: string, err: unknown): ModelshipError {
  return new ModelshipError({ code: "git-failed", message: `${what}: ${githubMessage(err)}` });
}
