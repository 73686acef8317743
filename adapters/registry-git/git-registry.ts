import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import {
  ALIAS_EVENT_FORMAT,
  checkAliasName,
  parseAliasMessage,
  renderAliasMessage,
} from "../../core/registry/alias-event.ts";
import { decideRegistration } from "../../core/registry/decide-registration.ts";
import type {
  AliasEvent,
  Artifact,
  ModelVersion,
  RegisterInput,
  RegisterResult,
  Registry,
  VerifyResult,
} from "../../core/registry/registry-port.ts";
import {
  VERSION_METADATA_FORMAT,
  parseVersionBody,
  renderVersionMessage,
  type VersionMetadata,
} from "../../core/registry/version-metadata.ts";
import { checkRefFormat } from "../../core/version/check-ref-format.ts";
import { compareVersions, normalizeVersion } from "../../core/version/semver.ts";
import {
  MODEL_NAME_RE,
  parseTag,
  parseTagFormat,
  renderTag,
  type TagFormat,
} from "../../core/version/tag-format.ts";
import { createPlumbing, type GitIdentity, type Plumbing } from "./git-plumbing.ts";
import { listRunFiles } from "./list-run-files.ts";

/** Where alias chains live; push them with `git push origin 'refs/modelship/*'`. */
export const ALIAS_REF_PREFIX = "refs/modelship/aliases/";

const FALLBACK_IDENTITY: GitIdentity = { name: "Modelship", email: "modelship@localhost" };
const REGISTER_ATTEMPTS = 5;
const ALIAS_ATTEMPTS = 40;

/** A version tag as read from git, valid or not. */
type TagEntry = {
  ref: string;
  tag: string;
  parsed: { name: string | undefined; version: string };
  stored?: { metadata: VersionMetadata; commit: string };
  invalid?: string;
};

/**
 * A registry stored in a git repository: each version is an annotated tag on a commit whose tree
 * is the run directory, each alias a chain of commits under refs/modelship/aliases/. Only
 * plumbing is used: the working tree, the index and HEAD are never touched.
 */
export async function openGitRegistry(opts: { repoDir: string; tagFormat: string }): Promise<Registry> {
  const parsedFormat = parseTagFormat(opts.tagFormat);
  if (!parsedFormat.ok) throw new ModelshipError(parsedFormat.problems);
  const format = parsedFormat.format;
  const git = createPlumbing(opts.repoDir);
  try {
    await git.raw(["rev-parse", "--git-dir"]);
  } catch (err) {
    throw new ModelshipError({
      code: "not-a-git-repository",
      message: `${opts.repoDir} is not a git repository: ${firstLine(err)}`,
      hint: "Run `git init` there, or point the registry at your repository.",
    });
  }
  return new GitRegistry(git, format);
}

class GitRegistry implements Registry {
  readonly #git: Plumbing;
  readonly #format: TagFormat;
  #identity: Promise<GitIdentity> | undefined;
  #emptyTree: Promise<string> | undefined;

  constructor(git: Plumbing, format: TagFormat) {
    this.#git = git;
    this.#format = format;
  }

  async register(input: RegisterInput): Promise<RegisterResult> {
    this.#tagFor(input.name, "1.0.0");
    const { record, files } = await listRunFiles(input.runDir);
    if (record.model.name !== input.name) {
      throw new ModelshipError({
        code: "model-name-mismatch",
        message: `run ${record.runId} trained model "${record.model.name}", not "${input.name}"`,
        where: { file: join(input.runDir, "run.json") },
        hint: "Register it under the name in run.json, or check model.name in modelship.yml.",
      });
    }
    const artifacts: Artifact[] = files.map(({ path, sha256, bytes }) => ({ path, sha256, bytes }));
    const tree = await this.#writeTree(files);
    const parent =
      record.code.commit && (await this.#commitExists(record.code.commit)) ? record.code.commit : null;

    for (let attempt = 1; ; attempt++) {
      const { entries, occupied } = await this.#scan(input.name);
      const decision = decideRegistration({
        name: input.name,
        runId: record.runId,
        artifacts,
        bump: input.bump,
        ...(input.parentVersion !== undefined ? { parentVersion: input.parentVersion } : {}),
        registered: entries.map((e) => ({
          version: e.stored.metadata.version,
          runId: e.stored.metadata.runId,
          artifacts: e.stored.metadata.artifacts,
        })),
        occupied,
      });
      if (decision.kind === "reject") throw new ModelshipError(decision.problem);
      if (decision.kind === "existing") {
        const version = await this.get(input.name, decision.version);
        if (version) return { outcome: "already-registered", version };
        throw new ModelshipError({
          code: "version-not-found",
          message: `${input.name} ${decision.version} vanished`,
        });
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
      const identity = await this.#whoami();
      const commit = await this.#raw(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-F", "-"], {
        input: `modelship: ${input.name} ${decision.version}\n\nrun ${record.runId}\n`,
        identity,
        now: input.now,
      });
      const tagObject = await this.#raw(["mktag"], {
        input:
          `object ${commit}\ntype commit\ntag ${tag}\n` +
          `tagger ${identity.name.replace(/[<>\n]/g, "")} <${identity.email.replace(/[<>\n]/g, "")}> ${Math.floor(input.now.getTime() / 1000)} +0000\n\n` +
          renderVersionMessage(metadata),
      });
      try {
        // The empty old value means "must not exist": a concurrent or repeated registration cannot overwrite.
        await this.#git.raw([
          "update-ref",
          "-m",
          `modelship register ${tag}`,
          `refs/tags/${tag}`,
          tagObject,
          "",
        ]);
      } catch (err) {
        if (!(await this.#refExists(`refs/tags/${tag}`))) throw gitFailed(`cannot create tag ${tag}`, err);
        // Someone registered this version first: decide again against what is there now.
        if (attempt < REGISTER_ATTEMPTS) continue;
        throw new ModelshipError({
          code: "concurrent-update",
          message: `could not register ${input.name}: ${attempt} versions were taken by concurrent registrations`,
          hint: "Try again.",
        });
      }
      return { outcome: "created", version: toModelVersion(metadata, tag, []) };
    }
  }

  async list(name?: string): Promise<ModelVersion[]> {
    if (name !== undefined) this.#tagFor(name, "1.0.0");
    const { entries } = await this.#scan(name);
    const aliases = await this.#aliasTargets(name);
    return entries
      .map((e) =>
        toModelVersion(
          e.stored.metadata,
          e.tag,
          aliases.get(key(e.stored.metadata.name, e.stored.metadata.version)) ?? [],
        ),
      )
      .sort((a, b) => (a.name === b.name ? compareVersions(b.version, a.version) : a.name < b.name ? -1 : 1));
  }

  async get(name: string, version: string): Promise<ModelVersion | undefined> {
    const found = await this.#find(name, version);
    if (!found) return undefined;
    const aliases = await this.#aliasTargets(name);
    return toModelVersion(found.metadata, found.tag, aliases.get(key(name, found.metadata.version)) ?? []);
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
    if (!found) throw notFound(name, version);
    const dir = resolvePath(destDir);
    const destState = await dirState(dir);
    if (destState === "non-empty") {
      throw new ModelshipError({
        code: "destination-not-empty",
        message: `${dir} already exists and is not empty`,
        hint: "Materialize into a new or empty directory.",
      });
    }
    await mkdir(dirname(dir), { recursive: true });
    const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}.modelship-`));
    try {
      const problems = await this.#checkArtifacts(found, async (path, bytes) => {
        await mkdir(dirname(join(staging, path)), { recursive: true });
        await writeFile(join(staging, path), bytes);
      });
      if (problems.length) throw new ModelshipError(problems);
      if (destState === "empty") await rmdir(dir);
      await rename(staging, dir);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    const aliases = await this.#aliasTargets(name);
    return {
      dir,
      version: toModelVersion(
        found.metadata,
        found.tag,
        aliases.get(key(name, found.metadata.version)) ?? [],
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
    if (!found) return { ok: false, problems: [...notFound(name, version).problems] };
    const problems = await this.#checkArtifacts(found, async () => {});
    if (problems.length) return { ok: false, problems };
    const aliases = await this.#aliasTargets(name);
    return {
      ok: true,
      version: toModelVersion(
        found.metadata,
        found.tag,
        aliases.get(key(name, found.metadata.version)) ?? [],
      ),
    };
  }

  async setAlias(
    name: string,
    alias: string,
    version: string | null,
    opts: { now: Date; reason?: string; actor?: string },
  ): Promise<{ previous: string | null }> {
    const ref = this.#aliasRef(name, alias);
    let target: string | null = null;
    if (version !== null) {
      const found = await this.#find(name, version);
      if (!found) throw notFound(name, version);
      target = found.metadata.version;
    }
    const identity = await this.#whoami();
    const emptyTree = await this.#emptyTreeOid();
    for (let attempt = 1; ; attempt++) {
      const head = await this.#aliasHead(ref);
      const current = head?.event?.version ?? null;
      if (current === target) return { previous: current };
      const message = renderAliasMessage({
        format: ALIAS_EVENT_FORMAT,
        name,
        alias,
        version: target,
        previous: current,
        at: opts.now.toISOString(),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
      });
      const commit = await this.#raw(
        ["commit-tree", emptyTree, ...(head ? ["-p", head.oid] : []), "-F", "-"],
        {
          input: message,
          identity,
          now: opts.now,
        },
      );
      try {
        // Compare-and-swap: only moves the alias if nobody else moved it since we read `head`.
        await this.#git.raw(["update-ref", "-m", `modelship alias ${alias}`, ref, commit, head?.oid ?? ""]);
        return { previous: current };
      } catch (err) {
        const now = await this.#aliasHead(ref);
        if (now?.oid === head?.oid && !/lock/i.test(String(err)))
          throw gitFailed(`cannot move alias ${alias}`, err);
        if (attempt >= ALIAS_ATTEMPTS) {
          throw new ModelshipError({
            code: "concurrent-update",
            message: `could not move alias ${alias} of ${name} after ${attempt} attempts: ${firstLine(err)}`,
            hint: "Another writer keeps moving it; try again.",
          });
        }
        await sleep(5 + Math.random() * 20 * Math.min(attempt, 5));
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
    if (!found) {
      throw new ModelshipError({
        code: "alias-target-missing",
        message: `alias ${ref} of ${name} points at ${version}, which is not in the registry`,
        hint: "Fetch the registry's tags (git fetch origin 'refs/tags/*:refs/tags/*'), or move the alias.",
      });
    }
    return found;
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    const ref = this.#aliasRef(name, alias);
    if (!(await this.#refExists(ref))) return [];
    const out = await this.#git.raw(["log", "--first-parent", "-z", "--format=%B", ref, "--"]);
    return out
      .split("\0")
      .map((m) => parseAliasMessage(m))
      .flatMap((e) =>
        e && e.name === name && e.alias === alias
          ? [
              {
                version: e.version,
                at: e.at,
                ...(e.reason !== undefined ? { reason: e.reason } : {}),
                ...(e.actor !== undefined ? { actor: e.actor } : {}),
              },
            ]
          : [],
      );
  }

  // --- internals ---

  #tagFor(name: string, version: string): string {
    const r = renderTag(this.#format, { name, version });
    if (!r.ok) throw new ModelshipError(r.problem);
    return r.tag;
  }

  #aliasRef(name: string, alias: string): string {
    if (!MODEL_NAME_RE.test(name)) this.#tagFor(name, "1.0.0"); // throws invalid-model-name
    const why = checkAliasName(alias);
    if (why)
      throw new ModelshipError({
        code: "invalid-alias-name",
        message: why,
        hint: "Use a name such as production or staging.",
      });
    const ref = `${ALIAS_REF_PREFIX}${name}/${alias}`;
    const bad = checkRefFormat(ref);
    if (bad)
      throw new ModelshipError({
        code: "invalid-model-name",
        message: `alias ref ${ref} is not a valid git ref: it ${bad}`,
      });
    return ref;
  }

  async #raw(args: string[], opts: Parameters<Plumbing["raw"]>[1] = {}): Promise<string> {
    try {
      return (await this.#git.raw(args, opts)).trim();
    } catch (err) {
      throw gitFailed(`git ${args[0]} failed`, err);
    }
  }

  async #whoami(): Promise<GitIdentity> {
    this.#identity ??= (async () => {
      const read = async (k: string) => {
        try {
          return (await this.#git.raw(["config", "--get", k])).trim() || undefined;
        } catch {
          return undefined;
        }
      };
      return {
        name: (await read("user.name")) ?? FALLBACK_IDENTITY.name,
        email: (await read("user.email")) ?? FALLBACK_IDENTITY.email,
      };
    })();
    return this.#identity;
  }

  async #emptyTreeOid(): Promise<string> {
    // Written from an empty file: git receives no stdin at all when the input is empty.
    this.#emptyTree ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), "modelship-"));
      try {
        await writeFile(join(dir, "empty"), "");
        return await this.#raw(["hash-object", "-t", "tree", "-w", "--", join(dir, "empty")]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    return this.#emptyTree;
  }

  async #refExists(ref: string): Promise<boolean> {
    const out = await this.#raw(["for-each-ref", "--format=%(refname)", ref]);
    return out.split("\n").includes(ref);
  }

  async #commitExists(oid: string): Promise<boolean> {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) return false;
    try {
      return (await this.#git.raw(["cat-file", "-t", oid])).trim() === "commit";
    } catch {
      return false;
    }
  }

  /** Blobs for every file, then one tree per directory, bottom-up (mktree takes one level). */
  async #writeTree(files: ReadonlyArray<{ path: string; absolute: string }>): Promise<string> {
    const oids: string[] = [];
    for (let i = 0; i < files.length; i += 100) {
      const chunk = files.slice(i, i + 100);
      // --no-filters: store the bytes as they are, whatever .gitattributes says.
      const out = await this.#raw([
        "hash-object",
        "-w",
        "--no-filters",
        "--",
        ...chunk.map((f) => f.absolute),
      ]);
      oids.push(...out.split("\n"));
    }
    type Dir = { files: Map<string, string>; dirs: Map<string, Dir> };
    const root: Dir = { files: new Map(), dirs: new Map() };
    files.forEach((f, i) => {
      const segments = f.path.split("/");
      const leaf = segments.pop() as string;
      let dir = root;
      for (const s of segments) {
        let next = dir.dirs.get(s);
        if (!next) dir.dirs.set(s, (next = { files: new Map(), dirs: new Map() }));
        dir = next;
      }
      dir.files.set(leaf, oids[i] as string);
    });
    const write = async (dir: Dir): Promise<string> => {
      let input = "";
      for (const [n, oid] of dir.files) input += `100644 blob ${oid}\t${n}\0`;
      for (const [n, sub] of dir.dirs) input += `040000 tree ${await write(sub)}\t${n}\0`;
      return this.#raw(["mktree", "-z"], { input });
    };
    return write(root);
  }

  /** All tags of the format (for one name or all): valid versions, and versions held by other tags. */
  async #scan(
    name?: string,
  ): Promise<{ entries: Array<TagEntry & { stored: NonNullable<TagEntry["stored"]> }>; occupied: string[] }> {
    const all = await this.#readTags("refs/tags/");
    const entries: Array<TagEntry & { stored: NonNullable<TagEntry["stored"]> }> = [];
    const occupied: string[] = [];
    for (const e of all) {
      if (name === undefined) {
        if (e.stored) entries.push({ ...e, stored: e.stored });
        continue;
      }
      // Without {name} in the format every model shares one tag namespace.
      if (this.#format.hasName && e.parsed.name !== name) continue;
      if (e.stored && e.stored.metadata.name === name) entries.push({ ...e, stored: e.stored });
      else occupied.push(e.parsed.version);
    }
    return { entries, occupied };
  }

  async #find(
    name: string,
    version: string,
  ): Promise<{ metadata: VersionMetadata; commit: string; tag: string } | undefined> {
    const canonical = normalizeVersion(version);
    if (canonical === undefined) {
      throw new ModelshipError({
        code: "invalid-version",
        message: `"${version}" is not a semantic version`,
      });
    }
    const tag = this.#tagFor(name, canonical);
    const [entry] = await this.#readTags(`refs/tags/${tag}`);
    if (!entry) return undefined;
    if (entry.stored && entry.stored.metadata.name !== name) return undefined;
    if (!entry.stored) {
      throw new ModelshipError({
        code: "registry-metadata-invalid",
        message: `tag ${tag} is not a valid registry version: ${entry.invalid}`,
        hint: "It was not made by modelship, or it was altered. Delete or rename the tag.",
      });
    }
    return { ...entry.stored, tag };
  }

  async #readTags(pattern: string): Promise<TagEntry[]> {
    const fields = [
      "%(refname)",
      "%(objecttype)",
      "%(tag)",
      "%(*objectname)",
      "%(*objecttype)",
      "%(contents:body)",
    ];
    const out = await this.#git.raw(["for-each-ref", `--format=${fields.join("%00")}%00`, pattern]);
    const entries: TagEntry[] = [];
    for (const record of out.split("\0\n")) {
      const [ref, type, tagHeader, target, targetType, body] = record.replace(/^\n/, "").split("\0");
      if (!ref?.startsWith("refs/tags/")) continue;
      const tag = ref.slice("refs/tags/".length);
      const parsed = parseTag(this.#format, tag);
      if (!parsed) continue;
      const entry: TagEntry = { ref, tag, parsed };
      if (type !== "tag" || targetType !== "commit" || !target)
        entry.invalid = "it is not an annotated tag on a commit";
      else if (tagHeader !== tag) entry.invalid = `its tag object is named ${tagHeader}`;
      else {
        const meta = parseVersionBody(body ?? "");
        if (!meta.ok) entry.invalid = meta.message;
        else if (
          meta.metadata.version !== parsed.version ||
          (parsed.name !== undefined && meta.metadata.name !== parsed.name)
        ) {
          entry.invalid = `its metadata describes ${meta.metadata.name} ${meta.metadata.version}`;
        } else entry.stored = { metadata: meta.metadata, commit: target };
      }
      entries.push(entry);
    }
    return entries;
  }

  /** "name@version" → aliases currently pointing at it. */
  async #aliasTargets(name?: string): Promise<Map<string, string[]>> {
    const prefix = name === undefined ? ALIAS_REF_PREFIX : `${ALIAS_REF_PREFIX}${name}/`;
    const out = await this.#git.raw(["for-each-ref", "--format=%(refname)%00%(contents)%00", prefix]);
    const map = new Map<string, string[]>();
    for (const record of out.split("\0\n")) {
      const [ref, contents] = record.replace(/^\n/, "").split("\0");
      if (!ref?.startsWith(ALIAS_REF_PREFIX) || contents === undefined) continue;
      const e = parseAliasMessage(contents);
      if (!e || e.version === null || ref !== `${ALIAS_REF_PREFIX}${e.name}/${e.alias}`) continue;
      const k = key(e.name, e.version);
      map.set(k, [...(map.get(k) ?? []), e.alias].sort());
    }
    return map;
  }

  async #aliasHead(
    ref: string,
  ): Promise<{ oid: string; event: ReturnType<typeof parseAliasMessage> } | undefined> {
    const out = await this.#git.raw([
      "for-each-ref",
      "--format=%(refname)%00%(objectname)%00%(contents)%00",
      ref,
    ]);
    for (const record of out.split("\0\n")) {
      const [r, oid, contents] = record.replace(/^\n/, "").split("\0");
      if (r === ref && oid) return { oid, event: parseAliasMessage(contents ?? "") };
    }
    return undefined;
  }

  /**
   * Reads every blob of a version and checks the tree against the manifest: same paths, sizes and
   * sha256. `sink` receives each verified file; problems are returned, never thrown.
   */
  async #checkArtifacts(
    found: { metadata: VersionMetadata; commit: string; tag: string },
    sink: (path: string, bytes: Buffer) => Promise<void>,
  ): Promise<Problem[]> {
    const { metadata, tag } = found;
    const mismatch = (message: string): Problem => ({
      code: "artifact-digest-mismatch",
      message: `${metadata.name} ${metadata.version} (${tag}): ${message}`,
      hint: "The stored model does not match its recorded digests: the tag or its objects were altered. Do not deploy it.",
    });
    const out = await this.#raw(["ls-tree", "-r", "-z", "--full-tree", found.commit]);
    const tree = new Map<string, { type: string; oid: string }>();
    for (const line of out.split("\0")) {
      if (!line) continue;
      const tab = line.indexOf("\t");
      const [, type, oid] = line.slice(0, tab).split(" ");
      tree.set(line.slice(tab + 1), { type: type ?? "", oid: oid ?? "" });
    }
    const manifest = new Map(metadata.artifacts.map((a) => [a.path, a]));
    const extra = [...tree.keys()].filter((p) => !manifest.has(p));
    const missing = [...manifest.keys()].filter((p) => !tree.has(p));
    const problems: Problem[] = [];
    if (extra.length) problems.push(mismatch(`files not in the manifest: ${extra.join(", ")}`));
    if (missing.length) problems.push(mismatch(`files missing: ${missing.join(", ")}`));
    if (problems.length) return problems;
    for (const a of metadata.artifacts) {
      const entry = tree.get(a.path);
      if (!entry || entry.type !== "blob" || !isSafePath(a.path)) {
        problems.push(mismatch(`${a.path} is not a plain file at a safe path`));
        continue;
      }
      const bytes = await this.#git.blob(entry.oid);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (bytes.length !== a.bytes || sha256 !== a.sha256) {
        problems.push(
          mismatch(
            `${a.path} has sha256 ${sha256} (${bytes.length} bytes), expected ${a.sha256} (${a.bytes} bytes)`,
          ),
        );
        continue;
      }
      if (!problems.length) await sink(a.path, bytes);
    }
    return problems;
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
  return path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && s !== ".git");
}

async function dirState(dir: string): Promise<"absent" | "empty" | "non-empty"> {
  try {
    return (await readdir(dir)).length ? "non-empty" : "empty";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return "non-empty";
    throw err;
  }
}

function notFound(name: string, version: string): ModelshipError {
  return new ModelshipError({
    code: "version-not-found",
    message: `${name} ${version} is not in the registry`,
    hint: "List versions with `modelship registry list`; fetch tags if the registry lives on a remote.",
  });
}

function gitFailed(what: string, err: unknown): ModelshipError {
  return new ModelshipError({ code: "git-failed", message: `${what}: ${firstLine(err)}` });
}

function firstLine(err: unknown): string {
  return (
    String((err as Error)?.message ?? err)
      .trim()
      .split("\n")[0] ?? ""
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
