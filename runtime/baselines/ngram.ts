/**
 * Count models of token sequences (the `grammar` set: tokens i32[T] with the
 * next token as label i32[T]): unigram, bigram and trigram models with
 * add-k smoothing, k chosen on the validation split, scored as cross-entropy
 * in nats per token on the evaluated split. Contexts reach back across the
 * window start only within a window (as the network sees it).
 */
import type { Dataset } from '../types.js';

const K_CHOICES = [0.001, 0.01, 0.05, 0.2, 1];

interface Counts {
  order: number;
  vocab: number;
  /** context key -> counts of the next token (Float64Array of vocab) */
  next: Map<number, Float64Array>;
}

function contexts(d: Dataset, visit: (context: number[], next: number) => void): void {
  const tokens = d.fields.tokens.data;
  const labels = d.fields.label.data;
  const T = d.fields.tokens.sampleShape[0];
  for (let s = 0; s < d.size; s++)
    for (let t = 0; t < T; t++) {
      const ctx: number[] = [];
      for (let k = 0; k <= 1 && t - k >= 0; k++) ctx.unshift(tokens[s * T + t - k]);
      visit(ctx, labels[s * T + t]);
    }
}

const key = (ctx: number[], order: number, vocab: number) => {
  const used = ctx.slice(ctx.length - (order - 1));
  let k = used.length; // shorter contexts (window starts) are their own keys
  for (const c of used) k = k * (vocab + 1) + c + 1;
  return k;
};

function count(train: Dataset, order: number, vocab: number): Counts {
  const next = new Map<number, Float64Array>();
  contexts(train, (ctx, y) => {
    const k = key(ctx, order, vocab);
    let row = next.get(k);
    if (!row) next.set(k, (row = new Float64Array(vocab)));
    row[y]++;
  });
  return { order, vocab, next };
}

function crossEntropy(c: Counts, d: Dataset, smoothing: number): number {
  let total = 0;
  let n = 0;
  const sums = new Map<number, number>();
  contexts(d, (ctx, y) => {
    const k = key(ctx, c.order, c.vocab);
    const row = c.next.get(k);
    let sum = sums.get(k);
    if (sum === undefined) sums.set(k, (sum = row ? row.reduce((a, b) => a + b, 0) : 0));
    total -= Math.log(((row ? row[y] : 0) + smoothing) / (sum + smoothing * c.vocab));
    n++;
  });
  return total / n;
}

/** Cross-entropy (nats per token) of the n-gram models on `evaluated`, smoothing chosen on `validation`. */
export function ngramBaselines(train: Dataset, validation: Dataset, evaluated: Dataset, vocab: number): Record<string, { cross_entropy: number; smoothing: number }> {
  const out: Record<string, { cross_entropy: number; smoothing: number }> = {};
  for (const [name, order] of [['unigram', 1], ['bigram', 2], ['trigram', 3]] as const) {
    const c = count(train, order, vocab);
    let best = K_CHOICES[0];
    let bestCe = Infinity;
    for (const k of K_CHOICES) {
      const ce = crossEntropy(c, validation, k);
      if (ce < bestCe) [best, bestCe] = [k, ce];
    }
    out[name] = { cross_entropy: crossEntropy(c, evaluated, best), smoothing: best };
  }
  return out;
}
