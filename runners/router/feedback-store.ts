import { z } from "zod";
import type { VariantFeedback } from "../../core/monitoring/ab-verdict.ts";

/** Body of `POST /v2/models/{name}/feedback`: the inference request's `id` and its ground truth. */
export const FeedbackBodySchema = z
  .object({
    id: z.string().min(1).max(256),
    label: z.union([z.string(), z.number().finite()]).optional(),
    value: z.number().finite().optional(),
  })
  .strict()
  .refine((b) => (b.label === undefined) !== (b.value === undefined), {
    message: "give exactly one of `label` (classification) or `value` (regression)",
  });
export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

type Prediction = { label: string } | { value: number };
/** One slot's answer to a request: which slot (colour and version) and what it predicted. */
type Answer = { slot: string; prediction: Prediction };

type Tally = { labelled: number; correct: number; n: number; mean: number; m2: number };

/** What scoring one feedback did, per slot that had answered the request. */
export type FeedbackScore = Array<{ slot: string; correct?: boolean; absError?: number }>;

/**
 * Remembers the last `limit` answered request ids and what each slot predicted for them, and
 * scores ground truth against them: right or wrong class, or absolute error, per slot.
 */
export class FeedbackStore {
  private readonly answers = new Map<string, Answer[]>();
  private readonly tallies = new Map<string, Tally>();
  private readonly limit: number;

  constructor(limit = 100_000) {
    this.limit = limit;
  }

  remember(id: string, slot: string, prediction: Prediction): void {
    const list = this.answers.get(id);
    if (list) {
      if (!list.some((a) => a.slot === slot)) list.push({ slot, prediction });
      return;
    }
    this.answers.set(id, [{ slot, prediction }]);
    // Maps keep insertion order: the first key is the oldest id.
    if (this.answers.size > this.limit) this.answers.delete(this.answers.keys().next().value as string);
  }

  /** Scores one feedback; null when the id is unknown (never answered, or forgotten). A repeat replaces nothing. */
  score(body: FeedbackBody): FeedbackScore | null {
    const list = this.answers.get(body.id);
    if (!list) return null;
    this.answers.delete(body.id);
    return list.map((a) => this.scoreOne(a, body));
  }

  /** Ground truth matched to one slot's answers, or null when none arrived. */
  feedback(slot: string): VariantFeedback | null {
    const t = this.tallies.get(slot);
    if (!t || t.labelled === 0) return null;
    if (t.n === 0) return { kind: "classification", labelled: t.labelled, correct: t.correct };
    return {
      kind: "regression",
      labelled: t.labelled,
      absError: { n: t.n, mean: t.mean, variance: t.n > 1 ? t.m2 / (t.n - 1) : 0 },
    };
  }

  /** Forgets the tallies (a new split compares from its own start). */
  reset(): void {
    this.tallies.clear();
  }

  private scoreOne(a: Answer, body: FeedbackBody): FeedbackScore[number] {
    const t = this.tallies.get(a.slot) ?? { labelled: 0, correct: 0, n: 0, mean: 0, m2: 0 };
    this.tallies.set(a.slot, t);
    t.labelled++;
    if ("label" in a.prediction) {
      const correct = body.label !== undefined && String(body.label) === a.prediction.label;
      if (correct) t.correct++;
      return { slot: a.slot, correct };
    }
    const truth = body.value ?? Number(body.label);
    const absError = Math.abs(a.prediction.value - truth);
    // Welford: running mean and sum of squares of the absolute errors.
    t.n++;
    const d = absError - t.mean;
    t.mean += d / t.n;
    t.m2 += d * (absError - t.mean);
    return { slot: a.slot, absError };
  }
}
