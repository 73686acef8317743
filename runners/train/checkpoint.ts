import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { canonicalJson } from "../../core/data/sha256.ts";
import type { EpochLog, FitState, NamedArray } from "./fit-model.ts";

/**
 * Per-epoch checkpoints of the built-in trainer, one per model in `<dir>/<model name>/`:
 *
 *   checkpoint.json           manifest: identity key, epoch, history, early-stopping state, tensor
 *                             index, and `digest`: sha256 over every other field (which include the
 *                             tensor file's sha256), so an edited epoch, history or `stoppedEarly`
 *                             is detected and the checkpoint ignored
 *   tensors-<sha256:16>.bin   raw little-endian bytes of every tensor the manifest lists
 *
 * A write puts the tensor file in place first (temp file + rename, named by its content), then
 * replaces the manifest the same way, then removes tensor files the manifest no longer names. The
 * manifest rename is the commit point, so a process killed at any moment leaves either the previous
 * checkpoint or the new one, never a mix.
 */
export const CHECKPOINT_MANIFEST = "checkpoint.json";
const FORMAT = "modelship-checkpoint";
const VERSION = 2;

/** What makes two trainings the same: a checkpoint is only resumed by the training that wrote it. */
export type CheckpointIdentity = {
  preprocessHash: string;
  dataFingerprint: string;
  /** The split the preprocessor was fitted on. */
  split: { seed: number; validationSplit: number; trainRows: number; validationRows: number };
  params: Record<string, unknown>;
  architecture: unknown;
};

export function checkpointKey(identity: CheckpointIdentity): string {
  return sha256(canonicalJson({ format: FORMAT, version: VERSION, ...identity }));
}

/** Hashes of each identity part, kept in the manifest so a mismatch can say what differs. */
function identityParts(identity: CheckpointIdentity): Record<keyof CheckpointIdentity, string> {
  return {
    preprocessHash: identity.preprocessHash,
    dataFingerprint: identity.dataFingerprint,
    split: sha256(canonicalJson(identity.split)),
    params: sha256(canonicalJson(identity.params)),
    architecture: sha256(canonicalJson(identity.architecture)),
  };
}

const PART_NAMES: Record<keyof CheckpointIdentity, string> = {
  preprocessHash: "fitted preprocessing",
  dataFingerprint: "data",
  split: "validation split",
  params: "params",
  architecture: "model architecture",
};

const TensorEntrySchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(["float32", "int32"]),
  offset: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
type TensorEntry = z.infer<typeof TensorEntrySchema>;

const ManifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  identity: z.record(z.string(), z.string()),
  model: z.string(),
  epoch: z.number().int().positive(),
  writtenAt: z.string(),
  backend: z.string(),
  history: z.array(z.object({ epoch: z.number().int() }).catchall(z.number().nullable())),
  earlyStopping: z.object({
    // A string, so that NaN and ±Infinity survive JSON.
    best: z.string(),
    bestEpoch: z.number().int().nonnegative(),
    wait: z.number().int().nonnegative(),
    stoppedEarly: z.boolean(),
  }),
  tensors: z.object({
    file: z.string().regex(/^tensors-[0-9a-f]{16}\.bin$/),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    weights: z.array(TensorEntrySchema),
    optimizer: z.array(TensorEntrySchema),
    optimizerExtra: z.array(TensorEntrySchema),
    bestWeights: z.array(TensorEntrySchema).nullable(),
  }),
});
type Manifest = z.infer<typeof ManifestSchema>;

export type CheckpointStore = {
  /** `<dir>/<model name>` */
  dir: string;
  key: string;
  /** Writes the state atomically and keeps only it. */
  save(state: FitState): Promise<void>;
  /** The state to resume from, or why there is none (`reason` set when a checkpoint was ignored). */
  load(expected: ExpectedShapes): Promise<LoadResult>;
  /** Removes this model's checkpoint (after the run directory is written). */
  remove(): Promise<void>;
};

export type ExpectedShapes = {
  /** Shapes of `model.getWeights()`, in order. */
  weights: number[][];
  /** Shapes of the trainable weights, which optimizer state follows (after its iteration scalar). */
  trainable: number[][];
  epochs: number;
};

export type LoadResult =
  | { kind: "none" }
  | { kind: "resume"; state: FitState; manifest: { writtenAt: string; backend: string } }
  | { kind: "ignored"; reason: string };

export function openCheckpointStore(opts: {
  checkpointDir: string;
  modelName: string;
  identity: CheckpointIdentity;
  backend: string;
  now: () => Date;
}): CheckpointStore {
  const dir = join(opts.checkpointDir, opts.modelName);
  const key = checkpointKey(opts.identity);
  const parts = identityParts(opts.identity);
  return {
    dir,
    key,
    async save(state) {
      await mkdir(dir, { recursive: true });
      const chunks: Uint8Array[] = [];
      let offset = 0;
      const index = (list: NamedArray[]): TensorEntry[] =>
        list.map((a) => {
          const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
          chunks.push(bytes);
          const entry = { name: a.name, shape: a.shape, dtype: a.dtype, offset, bytes: bytes.length };
          offset += bytes.length;
          return entry;
        });
      const weights = index(state.weights);
      const optimizer = index(state.optimizer);
      const optimizerExtra = index(state.optimizerExtra);
      const bestWeights = state.bestWeights ? index(state.bestWeights) : null;
      const body = Buffer.concat(chunks);
      const digest = createHash("sha256").update(body).digest("hex");
      const file = `tensors-${digest.slice(0, 16)}.bin`;
      const fields: Omit<Manifest, "digest"> = {
        format: FORMAT,
        version: VERSION,
        key,
        identity: parts,
        model: opts.modelName,
        epoch: state.epoch,
        writtenAt: opts.now().toISOString(),
        backend: opts.backend,
        history: state.history,
        earlyStopping: { ...state.earlyStopping, best: String(state.earlyStopping.best) },
        tensors: {
          file,
          bytes: body.length,
          sha256: digest,
          weights,
          optimizer,
          optimizerExtra,
          bestWeights,
        },
      };
      const manifest: Manifest = { ...fields, digest: manifestDigest(fields) };
      await writeAtomically(join(dir, file), body);
      await writeAtomically(join(dir, CHECKPOINT_MANIFEST), `${JSON.stringify(manifest)}\n`);
      // Tensor files of older checkpoints and temp files of interrupted writes.
      for (const name of await readdir(dir)) {
        if (name !== file && name !== CHECKPOINT_MANIFEST && /^(tensors-|\.tmp-)/.test(name))
          await rm(join(dir, name), { force: true });
      }
    },
    async load(expected) {
      const where = join(dir, CHECKPOINT_MANIFEST);
      let text: string;
      try {
        text = await readFile(where, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
        return { kind: "ignored", reason: `${where} cannot be read (${(err as Error).message})` };
      }
      let manifest: Manifest;
      try {
        const parsed = ManifestSchema.safeParse(JSON.parse(text));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return {
            kind: "ignored",
            reason: `${where} is not a valid checkpoint (${issue?.path.join(".") || "root"}: ${issue?.message ?? "invalid"})`,
          };
        }
        manifest = parsed.data;
      } catch (err) {
        return { kind: "ignored", reason: `${where} is corrupt (${(err as Error).message})` };
      }
      const { digest, ...fields } = manifest;
      if (manifestDigest(fields) !== digest) {
        return {
          kind: "ignored",
          reason: `${where} was altered after it was written (checkpoint-digest-mismatch: its digest does not match its fields)`,
        };
      }
      if (manifest.key !== key) {
        const differs = (Object.keys(parts) as (keyof CheckpointIdentity)[])
          .filter((p) => manifest.identity[p] !== parts[p])
          .map((p) => PART_NAMES[p]);
        return {
          kind: "ignored",
          reason: `${where} belongs to another training (${differs.length > 0 ? `${differs.join(", ")} differ` : "different identity"})`,
        };
      }
      const binPath = join(dir, manifest.tensors.file);
      let body: Buffer;
      try {
        body = await readFile(binPath);
      } catch (err) {
        return { kind: "ignored", reason: `${binPath} cannot be read (${(err as Error).message})` };
      }
      if (
        body.length !== manifest.tensors.bytes ||
        createHash("sha256").update(body).digest("hex") !== manifest.tensors.sha256
      ) {
        return { kind: "ignored", reason: `${binPath} is corrupt (its sha256 does not match the manifest)` };
      }
      const problem = checkShapes(manifest, expected);
      if (problem) return { kind: "ignored", reason: `${where} does not fit this model (${problem})` };
      const read = (list: TensorEntry[]): NamedArray[] =>
        list.map((e) => {
          const copy = new Uint8Array(body.subarray(e.offset, e.offset + e.bytes)).buffer;
          const data = e.dtype === "int32" ? new Int32Array(copy) : new Float32Array(copy);
          return { name: e.name, shape: e.shape, dtype: e.dtype, data };
        });
      const history = manifest.history.map(
        (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v === null ? NaN : v])) as EpochLog,
      );
      const state: FitState = {
        epoch: manifest.epoch,
        history,
        earlyStopping: { ...manifest.earlyStopping, best: Number(manifest.earlyStopping.best) },
        weights: read(manifest.tensors.weights),
        optimizer: read(manifest.tensors.optimizer),
        optimizerExtra: read(manifest.tensors.optimizerExtra),
        ...(manifest.tensors.bestWeights ? { bestWeights: read(manifest.tensors.bestWeights) } : {}),
      };
      return {
        kind: "resume",
        state,
        manifest: { writtenAt: manifest.writtenAt, backend: manifest.backend },
      };
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Why the manifest's tensors cannot be loaded into the model, or undefined when they can. */
function checkShapes(m: Manifest, expected: ExpectedShapes): string | undefined {
  const same = (a: number[], b: number[] | undefined) =>
    b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
  const sized = (e: TensorEntry) => e.bytes === 4 * e.shape.reduce((p, d) => p * d, 1);
  const all = [
    ...m.tensors.weights,
    ...m.tensors.optimizer,
    ...m.tensors.optimizerExtra,
    ...(m.tensors.bestWeights ?? []),
  ];
  if (!all.every(sized)) return "a tensor's byte size does not match its shape";
  if (all.some((e) => e.offset + e.bytes > m.tensors.bytes)) return "a tensor lies outside the tensor file";
  if (m.epoch !== m.history.length) return `epoch ${m.epoch} but ${m.history.length} history entries`;
  if (m.epoch > expected.epochs) return `epoch ${m.epoch} is past the ${expected.epochs} epochs to train`;
  const w = m.tensors.weights;
  if (w.length !== expected.weights.length || !w.every((e, i) => same(e.shape, expected.weights[i])))
    return "weight shapes differ";
  const b = m.tensors.bestWeights;
  if (b && (b.length !== w.length || !b.every((e, i) => same(e.shape, expected.weights[i]))))
    return "best-weight shapes differ";
  const [iter, ...slots] = m.tensors.optimizer;
  const t = expected.trainable;
  if (!iter || iter.shape.length !== 0) return "optimizer state has no iteration count";
  if (t.length === 0 ? slots.length !== 0 : slots.length % t.length !== 0)
    return "optimizer state does not match the trainable weights";
  if (!slots.every((e, i) => same(e.shape, t[i % t.length]))) return "optimizer state shapes differ";
  return undefined;
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const dir = join(path, "..");
  const tmp = join(dir, `.tmp-${randomBytes(6).toString("hex")}`);
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** The manifest's digest: sha256 of the canonical JSON of every field but `digest` (tensors.sha256 covers the weights). */
function manifestDigest(fields: Omit<Manifest, "digest">): string {
  return sha256(canonicalJson(fields));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
