import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";
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
import { checkMetadataMatchesTag, classifyVersionTag } from "../../core/registry/classify-version-tag.ts";
import { decideRunRegistration } from "../../core/registry/decide-registration.ts";
import type {
  AliasEvent,
  RegisterInput,
  RegisterResult,
  Registry,
} from "../../core/registry/registry-port.ts";
import { registrationRaceLost, tagLocked } from "../../core/registry/registry-problems.ts";
import { toModelVersion } from "../../core/registry/to-model-version.ts";
import {
  createVersionMetadata,
  parseVersionBody,
  renderVersionMessage,
  type VersionMetadata,
} from "../../core/registry/version-metadata.ts";
import { checkRefFormat } from "../../core/version/check-ref-format.ts";
import { MODEL_NAME_RE, parseTag, parseTagFormat, type TagFormat } from "../../core/version/tag-format.ts";
import { checkArtifactBytes } from "../registry-common/check-artifact-bytes.ts";
import { VersionRegistry, type AliasHead, type StoredVersion } from "../registry-common/version-registry.ts";
import type { ArtifactSink } from "../registry-common/write-verified-dir.ts";
import { createPlumbing, type GitIdentity, type Plumbing } from "./git-plumbing.ts";

/** Where alias chains live; push them with `git push origin 'refs/modelship/*'`. */
export const ALIAS_REF_PREFIX = "refs/modelship/aliases/";

const FALLBACK_IDENTITY: GitIdentity = { name: "Modelship", email: "modelship@localhost" };
const REGISTER_ATTEMPTS = 5;
/** How long a registration waits for another git process to let go of a new tag's lock (held for milliseconds). */
const TAG_LOCK_WAIT_MS = 2_000;
const ALIAS_ATTEMPTS = 40;

/** A version tag as read from git, valid or not. */
type TagEntry = {
  ref: string;
  tag: string;
  parsed: { name: string | undefined; version: string };
  stored?: { metadata: VersionMetadata; commit: string };
  invalid?: string;
};

/** A valid version found in git: its metadata, its tag, and the commit whose tree holds its files. */
type GitVersion = StoredVersion & { commit: string };

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

class GitRegistry extends VersionRegistry<GitVersion> {
  readonly #git: Plumbing;
  #identity: Promise<GitIdentity> | undefined;
  #emptyTree: Promise<string> | undefined;

  constructor(git: Plumbing, format: TagFormat) {
    super(format, {
      aliasAttempts: ALIAS_ATTEMPTS,
      notFoundHint:
        "List versions with `modelship registry list`; fetch tags if the registry lives on a remote.",
      aliasTargetMissingHint:
        "Fetch the registry's tags (git fetch origin 'refs/tags/*:refs/tags/*'), or move the alias.",
    });
    this.#git = git;
  }

  async register(input: RegisterInput): Promise<RegisterResult> {
    const { record, files, artifacts } = await this.readRun(input, { refuseFailed: true });
    const tree = await this.#writeTree(files);
    const parent =
      record.code.commit && (await this.#commitExists(record.code.commit)) ? record.code.commit : null;

    let races = 0;
    for (;;) {
      const { entries, occupied } = await this.#scan(input.name);
      const decision = decideRunRegistration(
        input,
        { record, artifacts },
        { registered: entries.map((e) => e.stored.metadata), occupied },
      );
      if (decision.kind === "reject") throw new ModelshipError(decision.problem);
      if (decision.kind === "existing")
        return { outcome: "already-registered", version: await this.mustGet(input.name, decision.version) };

      const tag = this.tagFor(input.name, decision.version);
      const metadata = createVersionMetadata(input, decision, { record, artifacts });
      const commit = await this.#commitTree(
        tree,
        parent,
        `modelship: ${input.name} ${decision.version}\n\nrun ${record.runId}\n`,
        input.now,
      );
      if (await this.#createTag(tag, commit, metadata, input.now))
        return { outcome: "created", version: toModelVersion(metadata, tag, []) };
      // Someone registered this version first: decide again against what is there now.
      if (++races >= REGISTER_ATTEMPTS) throw new ModelshipError(registrationRaceLost(input.name, races));
    }
  }

  /**
   * Creates `tag` as an annotated tag of `commit` only if it does not exist yet; false when another
   * writer created it first. While another git process holds the tag's lock (it is writing a ref
   * there), it tries again for up to TAG_LOCK_WAIT_MS.
   */
  async #createTag(tag: string, commit: string, metadata: VersionMetadata, now: Date): Promise<boolean> {
    const identity = await this.#whoami();
    const tagObject = await this.#raw(["mktag"], {
      input:
        `object ${commit}\ntype commit\ntag ${tag}\n` +
        `tagger ${identity.name.replace(/[<>\n]/g, "")} <${identity.email.replace(/[<>\n]/g, "")}> ${Math.floor(now.getTime() / 1000)} +0000\n\n` +
        renderVersionMessage(metadata),
    });
    const deadline = Date.now() + TAG_LOCK_WAIT_MS;
    for (let tries = 1; ; tries++) {
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
        return true;
      } catch (err) {
        if (await this.#refExists(`refs/tags/${tag}`)) return false;
        if (!/cannot lock ref|\.lock'?: File exists/i.test(String(err)))
          throw gitFailed(`cannot create tag ${tag}`, err);
        if (Date.now() >= deadline) throw new ModelshipError(tagLocked(tag, firstLine(err)));
        await retryPause(tries);
      }
    }
  }

  async aliasHistory(name: string, alias: string): Promise<AliasEvent[]> {
    const ref = this.aliasRef(name, alias);
    if (!(await this.#refExists(ref))) return [];
    const out = await this.#git.raw(["log", "--first-parent", "-z", "--format=%B", ref, "--"]);
    return out.split("\0").flatMap((m) => aliasHistoryEvent(m, name, alias) ?? []);
  }

  // --- storage ---

  protected async listStored(name?: string): Promise<StoredVersion[]> {
    const { entries } = await this.#scan(name);
    return entries.map((e) => ({ metadata: e.stored.metadata, tag: e.tag }));
  }

  protected async findStored(name: string, tag: string): Promise<GitVersion | undefined> {
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

  protected aliasRef(name: string, alias: string): string {
    if (!MODEL_NAME_RE.test(name)) this.tagFor(name, "1.0.0"); // throws invalid-model-name
    checkAliasInput(alias);
    const ref = `${ALIAS_REF_PREFIX}${name}/${alias}`;
    const bad = checkRefFormat(ref);
    if (bad)
      throw new ModelshipError({
        code: "invalid-model-name",
        message: `alias ref ${ref} is not a valid git ref: it ${bad}`,
      });
    return ref;
  }

  /** "name@version" → aliases currently pointing at it. */
  protected async aliasTargets(name?: string): Promise<AliasTargets> {
    const prefix = name === undefined ? ALIAS_REF_PREFIX : `${ALIAS_REF_PREFIX}${name}/`;
    const out = await this.#git.raw(["for-each-ref", "--format=%(refname)%00%(contents)%00", prefix]);
    const heads: Array<{ ref: string; message: string }> = [];
    for (const record of out.split("\0\n")) {
      const [ref, message] = record.replace(/^\n/, "").split("\0");
      if (ref?.startsWith(ALIAS_REF_PREFIX) && message !== undefined) heads.push({ ref, message });
    }
    return collectAliasTargets(heads, (n, a) => `${ALIAS_REF_PREFIX}${n}/${a}`);
  }

  protected async aliasHead(ref: string): Promise<AliasHead | undefined> {
    const out = await this.#git.raw([
      "for-each-ref",
      "--format=%(refname)%00%(objectname)%00%(contents)%00",
      ref,
    ]);
    for (const record of out.split("\0\n")) {
      const [r, oid, contents] = record.replace(/^\n/, "").split("\0");
      if (r === ref && oid) return { id: oid, event: parseAliasMessage(contents ?? "") };
    }
    return undefined;
  }

  protected async moveAlias(
    ref: string,
    head: AliasHead | undefined,
    event: AliasEventRecord,
    now: Date,
  ): Promise<string | undefined> {
    const emptyTree = await this.#emptyTreeOid();
    const commit = await this.#commitTree(emptyTree, head?.id, renderAliasMessage(event), now);
    try {
      // Compare-and-swap: only moves the alias if nobody else moved it since we read `head`.
      await this.#git.raw([
        "update-ref",
        "-m",
        `modelship alias ${event.alias}`,
        ref,
        commit,
        head?.id ?? "",
      ]);
      return undefined;
    } catch (err) {
      const current = await this.aliasHead(ref);
      if (current?.id === head?.id && !/lock/i.test(String(err)))
        throw gitFailed(`cannot move alias ${event.alias}`, err);
      return firstLine(err);
    }
  }

  protected override async beforeAliasRetry(attempt: number): Promise<void> {
    await retryPause(attempt);
  }

  /**
   * Reads every blob of a version and checks the tree against the manifest: same paths, sizes and
   * sha256. `sink` receives each verified file; problems are returned, never thrown.
   */
  protected async checkArtifacts(found: GitVersion, sink: ArtifactSink): Promise<Problem[]> {
    const { metadata, tag } = found;
    const mismatch = artifactMismatch(
      metadata,
      tag,
      "The stored model does not match its recorded digests: the tag or its objects were altered. Do not deploy it.",
    );
    const out = await this.#raw(["ls-tree", "-r", "-z", "--full-tree", found.commit]);
    const tree = new Map<string, { type: string; oid: string }>();
    for (const line of out.split("\0")) {
      if (!line) continue;
      const tab = line.indexOf("\t");
      const [, type, oid] = line.slice(0, tab).split(" ");
      tree.set(line.slice(tab + 1), { type: type ?? "", oid: oid ?? "" });
    }
    const problems = manifestProblems({
      expected: metadata.artifacts.map((a) => a.path),
      actual: [...tree.keys()],
      noun: "files",
      mismatch,
    });
    if (problems.length) return problems;
    return checkArtifactBytes({
      artifacts: metadata.artifacts,
      read: async (a) => {
        const entry = tree.get(a.path);
        if (!entry || entry.type !== "blob" || !isSafeArtifactPath(a.path))
          return { problem: `${a.path} is not a plain file at a safe path` };
        return this.#git.blob(entry.oid);
      },
      mismatch,
      sink,
    });
  }

  // --- internals ---

  async #raw(args: string[], opts: Parameters<Plumbing["raw"]>[1] = {}): Promise<string> {
    try {
      return (await this.#git.raw(args, opts)).trim();
    } catch (err) {
      throw gitFailed(`git ${args[0]} failed`, err);
    }
  }

  /** A commit of `tree` on `parent` (none when absent) by the configured identity, dated `now`. */
  async #commitTree(
    tree: string,
    parent: string | null | undefined,
    message: string,
    now: Date,
  ): Promise<string> {
    const identity = await this.#whoami();
    return this.#raw(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-F", "-"], {
      input: message,
      identity,
      now,
    });
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
      // Without {name} in the format every model shares one tag namespace.
      const kind = classifyVersionTag({
        format: this.format,
        name,
        parsed: e.parsed,
        metadata: e.stored?.metadata,
      });
      if (kind === "mine" && e.stored) entries.push({ ...e, stored: e.stored });
      else if (kind === "occupied") occupied.push(e.parsed.version);
    }
    return { entries, occupied };
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
      const parsed = parseTag(this.format, tag);
      if (!parsed) continue;
      const entry: TagEntry = { ref, tag, parsed };
      if (type !== "tag" || targetType !== "commit" || !target)
        entry.invalid = "it is not an annotated tag on a commit";
      else if (tagHeader !== tag) entry.invalid = `its tag object is named ${tagHeader}`;
      else {
        const meta = parseVersionBody(body ?? "");
        const why = meta.ok ? checkMetadataMatchesTag(meta.metadata, parsed) : meta.message;
        if (why !== undefined) entry.invalid = why;
        else if (meta.ok) entry.stored = { metadata: meta.metadata, commit: target };
      }
      entries.push(entry);
    }
    return entries;
  }
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

/** A short, jittered pause before writing a contended ref again: longer the more tries it took. */
function retryPause(attempt: number): Promise<void> {
  return sleep(5 + Math.random() * 20 * Math.min(attempt, 5));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
