import { readFile } from "node:fs/promises";
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
  aliasHistoryEvent,
  parseAliasMessage,
  renderAliasMessage,
  type AliasEventRecord,
} from "../../core/registry/alias-event.ts";
import { collectAliasTargets, type AliasTargets } from "../../core/registry/alias-targets.ts";
import {
  artifactMismatch,
  isSafeArtifactPath,
  manifestProblems,
} from "../../core/registry/check-manifest.ts";
import { checkAliasInput } from "../../core/registry/check-registry-input.ts";
import {
  checkMetadataMatchesTag,
  classifyVersionTag,
  type ParsedTag,
} from "../../core/registry/classify-version-tag.ts";
import { decideRunRegistration } from "../../core/registry/decide-registration.ts";
import type {
  AliasEvent,
  RegisterInput,
  RegisterResult,
  Registry,
} from "../../core/registry/registry-port.ts";
import { registrationRaceLost } from "../../core/registry/registry-problems.ts";
import { toModelVersion } from "../../core/registry/to-model-version.ts";
import { createVersionMetadata } from "../../core/registry/version-metadata.ts";
import { renderModelCard } from "../../core/report/render-model-card.ts";
import { parseTag, parseTagFormat, type TagFormat } from "../../core/version/tag-format.ts";
import { checkArtifactBytes } from "../registry-common/check-artifact-bytes.ts";
import { VersionRegistry, type AliasHead, type StoredVersion } from "../registry-common/version-registry.ts";
import type { ArtifactSink } from "../registry-common/write-verified-dir.ts";
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
  parsed: ParsedTag;
};
type ValidScanned = Scanned & { record: ReleaseRecord };

/** A valid version found on GitHub: its release, with the record its body holds. */
type ReleaseVersion = StoredVersion & { release: ReleaseData; record: ReleaseRecord };

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

class ReleasesRegistry extends VersionRegistry<ReleaseVersion> {
  readonly #gh: ReleasesRegistryPort;
  readonly #opts: ReleasesRegistryOptions;
  readonly #repo: { owner: string; repo: string };

  constructor(gh: ReleasesRegistryPort, opts: ReleasesRegistryOptions, format: TagFormat) {
    super(format, {
      aliasAttempts: ALIAS_ATTEMPTS,
      notFoundHint: "List versions with `modelship registry list`.",
    });
    this.#gh = gh;
    this.#opts = opts;
    this.#repo = { owner: opts.owner, repo: opts.repo };
  }

  async register(input: RegisterInput): Promise<RegisterResult> {
    const { record, files, artifacts } = await this.readRun(input, { refuseFailed: true });

    for (let attempt = 1; ; attempt++) {
      const scan = await this.#scan(input.name);
      const decision = decideRunRegistration(
        input,
        { record, artifacts },
        {
          registered: [...scan.valid, ...scan.drafts].map((e) => e.record.metadata),
          occupied: scan.occupied,
        },
      );
      if (decision.kind === "reject") throw new ModelshipError(decision.problem);
      if (decision.kind === "existing") {
        const draft = scan.drafts.find((d) => d.record.metadata.version === decision.version);
        if (draft !== undefined) {
          // A registration of this run stopped half-way: finish it.
          await this.#uploadAndPublish(draft.release, draft.record, files);
          return { outcome: "created", version: await this.mustGet(input.name, decision.version) };
        }
        return { outcome: "already-registered", version: await this.mustGet(input.name, decision.version) };
      }

      const tag = this.tagFor(input.name, decision.version);
      const metadata = createVersionMetadata(input, decision, { record, artifacts });
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
        if (attempt >= REGISTER_ATTEMPTS) throw new ModelshipError(registrationRaceLost(input.name, attempt));
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

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    const ref = this.aliasRef(name, alias);
    let sha = await readRef(this.#gh, this.#repo, ref);
    const events: AliasEvent[] = [];
    for (let i = 0; sha !== undefined && i < MAX_ALIAS_HISTORY; i++) {
      const { data } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: sha });
      const event = aliasHistoryEvent(data.message, name, alias);
      if (event !== undefined) events.push(event);
      sha = data.parents[0]?.sha;
    }
    return events;
  }

  // ---- storage ----

  protected async listStored(name?: string): Promise<StoredVersion[]> {
    const { valid } = await this.#scan(name);
    return valid.map((e) => ({ metadata: e.record.metadata, tag: e.tag }));
  }

  protected async findStored(name: string, tag: string): Promise<ReleaseVersion | undefined> {
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
    return { release, record: entry.record, metadata: entry.record.metadata, tag: entry.tag };
  }

  protected aliasRef(name: string, alias: string): string {
    this.tagFor(name, "1.0.0"); // throws invalid-model-name
    checkAliasInput(alias);
    return `${ALIAS_BRANCH_PREFIX}${refComponent(name)}/${alias}`;
  }

  /** "name@version" → aliases currently pointing at it. */
  protected async aliasTargets(name?: string): Promise<AliasTargets> {
    const prefix = name === undefined ? ALIAS_BRANCH_PREFIX : `${ALIAS_BRANCH_PREFIX}${refComponent(name)}/`;
    const { data } = await this.#gh.rest.git.listMatchingRefs({ ...this.#repo, ref: shortRef(prefix) });
    const heads: Array<{ ref: string; message: string }> = [];
    for (const r of data) {
      if (!r.ref.startsWith(prefix)) continue;
      const { data: commit } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: r.object.sha });
      heads.push({ ref: r.ref, message: commit.message });
    }
    return collectAliasTargets(heads, (n, a) => `${ALIAS_BRANCH_PREFIX}${refComponent(n)}/${a}`);
  }

  protected async aliasHead(ref: string): Promise<AliasHead | undefined> {
    const sha = await readRef(this.#gh, this.#repo, ref);
    if (sha === undefined) return undefined;
    const { data } = await this.#gh.rest.git.getCommit({ ...this.#repo, commit_sha: sha });
    return { id: sha, event: parseAliasMessage(data.message) };
  }

  protected async moveAlias(
    ref: string,
    head: AliasHead | undefined,
    event: AliasEventRecord,
  ): Promise<string | undefined> {
    const commit = await createFileCommit(this.#gh, this.#repo, {
      path: "alias.json",
      content: `${JSON.stringify(event, null, 2)}\n`,
      message: renderAliasMessage(event),
      parents: head !== undefined ? [head.id] : [],
    });
    try {
      // Compare-and-swap: a create fails if the alias appeared, a non-forced update fails unless
      // it is a fast-forward from the head we read.
      if (head === undefined) await this.#gh.rest.git.createRef({ ...this.#repo, ref, sha: commit });
      else
        await this.#gh.rest.git.updateRef({ ...this.#repo, ref: shortRef(ref), sha: commit, force: false });
      return undefined;
    } catch (err) {
      if (httpStatus(err) !== 422) throw githubFailed(`cannot move alias ${event.alias}`, err);
      return githubMessage(err);
    }
  }

  /**
   * Downloads every asset of a version and checks it against the recorded digests; the set of
   * assets must be exactly the recorded files plus SHA256SUMS, which must match too.
   */
  protected async checkArtifacts(found: ReleaseVersion, sink: ArtifactSink): Promise<Problem[]> {
    const { metadata, assets: names } = found.record;
    const mismatch = artifactMismatch(
      metadata,
      found.tag,
      "The release's assets do not match their recorded digests: they were replaced or altered. Do not deploy it.",
    );
    const assets = await this.#assets(found.release.id);
    const byName = new Map(assets.map((a) => [a.name, a]));
    const expected = new Set([...metadata.artifacts.map((a) => names[a.path] as string), SHA256SUMS_ASSET]);
    const problems = manifestProblems({
      expected: [...expected],
      actual: assets.map((a) => a.name),
      noun: "assets",
      mismatch,
    });
    if (problems.length > 0) return problems;
    const sums = await this.#download(byName.get(SHA256SUMS_ASSET) as AssetData);
    if (sums.toString("utf8") !== renderSha256Sums(metadata, names))
      problems.push(mismatch(`${SHA256SUMS_ASSET} does not match the recorded digests`));
    return checkArtifactBytes({
      artifacts: metadata.artifacts,
      read: async (a) =>
        isSafeArtifactPath(a.path) && !a.path.includes("\\")
          ? this.#download(byName.get(names[a.path] as string) as AssetData)
          : { problem: `${a.path} is not a safe path` },
      mismatch,
      sink,
      problems,
    });
  }

  // ---- internals ----

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
  async #scan(name?: string): Promise<{ valid: ValidScanned[]; drafts: ValidScanned[]; occupied: string[] }> {
    const valid: ValidScanned[] = [];
    const drafts: ValidScanned[] = [];
    const occupied: string[] = [];
    const withRelease = new Set<string>();
    for (const release of await this.#allReleases()) {
      const entry = this.#classify(release);
      if (entry === undefined) continue;
      withRelease.add(entry.tag);
      const { record } = entry;
      const kind = classifyVersionTag({
        format: this.format,
        name,
        parsed: entry.parsed,
        metadata: record?.metadata,
      });
      if (kind === "mine" && record !== undefined)
        (release.draft ? drafts : valid).push({ ...entry, record });
      else if (kind === "occupied") occupied.push(entry.parsed.version);
    }
    // Tags without a release hold their version number too: versions are never reused.
    if (name !== undefined) {
      for (const tag of await this.#tagsOf(name)) {
        if (withRelease.has(tag)) continue;
        const p = parseTag(this.format, tag);
        if (p !== undefined && (!this.format.hasName || p.name === name)) occupied.push(p.version);
      }
    }
    return { valid, drafts, occupied };
  }

  #classify(release: ReleaseData): Scanned | undefined {
    const parsed = parseTag(this.format, release.tag_name);
    if (parsed === undefined) return undefined;
    const entry: Scanned = { release, tag: release.tag_name, parsed };
    const body = parseReleaseBody(release.body);
    const why = body.ok ? checkMetadataMatchesTag(body.record.metadata, parsed) : body.message;
    if (why !== undefined) entry.invalid = why;
    else if (body.ok) entry.record = body.record;
    return entry;
  }

  async #tagsOf(name: string): Promise<string[]> {
    // The literal text before the first placeholder narrows the listing.
    const probe = this.tagFor(name, "0.0.0");
    const at = this.format.source.indexOf("{");
    const prefix = probe.slice(0, Math.max(at, 0));
    const { data } = await this.#gh.rest.git.listMatchingRefs({ ...this.#repo, ref: `tags/${prefix}` });
    return data.map((r) => r.ref.replace(/^refs\/tags\//, ""));
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
}

function githubFailed(what: string, err: unknown): ModelshipError {
  return new ModelshipError({ code: "git-failed", message: `${what}: ${githubMessage(err)}` });
}
