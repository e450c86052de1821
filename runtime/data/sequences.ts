/**
 * Generated sequence data sets for the sequence-model examples. Everything is
 * a pure function of (split, options, seed): no downloads, the same numbers
 * on every machine. The train and test splits are drawn from separate
 * streams (reversal, adding, grammar) or separate stretches of one series
 * (seasonal: the test split is the held-out tail).
 *
 * reversal(split, size, seed): random token sequences to reverse.
 *   length L uniform in [8, 16], tokens uniform in 1..10, padded with 0 to 16.
 *   tokens i32[16]: x_0 .. x_{L-1}, 0, ...     mask f32[16]: 1 for the L real positions
 *   label  i32[16]: x_{L-1} .. x_0, 0, ...     (vocabulary 11: 0 = padding)
 * adding(split, size, length = 50, seed): the LSTM adding problem
 *   (Hochreiter & Schmidhuber 1997). x f32[length, 2]: channel 0 uniform
 *   [0, 1), channel 1 marks one position in the first half and one in the
 *   second; target f32[1] = the sum of the two marked values. Predicting the
 *   mean (1) scores mse 1/6 ≈ 0.167.
 * seasonal(split, window = 48, horizon = 8, seed): one long series
 *   y(t) = sin(2πt/12) + 0.6 sin(2πt/40 + 1) + 0.3 sin(2πt/7 + 2) + N(0, 0.15²),
 *   6000 steps; windows of `window` past values -> the next `horizon` values.
 *   Train windows lie entirely in the first 80%, test windows (inputs and
 *   targets) entirely in the last 20%, the held-out tail.
 *   x f32[window, 1], target f32[horizon], last f32[horizon] (the
 *   persistence forecast: the last observed value repeated) and
 *   persistence_mse f32[]: the persistence forecast's mean squared error
 *   over the whole split (the same number in every sample, so its batch mean
 *   is that number and skill = 1 - mse / persistence_mse averages exactly).
 * grammar(split, size, length = 32, seed): text from a stochastic grammar
 *   (sentences such as "the small cat sees a red bird near bob ."), cut into
 *   `size` windows of length + 1 characters: tokens i32[length] are the
 *   characters, label i32[length] the next characters. The alphabet is
 *   GRAMMAR_ALPHABET (28 symbols: space, '.', a-z; id = index).
 */
import type { Dataset } from '../types.js';
import { DatasetError } from './errors.js';
import { Rng } from './random.js';
import { SPLIT_STREAM, splitOf, type Split } from './splits.js';

export type { Split } from './splits.js';

function checkInt(name: string, what: string, v: number, min: number, max = Infinity): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new DatasetError(`${name}: ${what} must be an integer in [${min}, ${max === Infinity ? '∞' : max}], got ${v}`);
  return v;
}

/** A stream per (data set, split, seed). */
function rngFor(salt: number, split: Split, seed: number): Rng {
  return new Rng(seed * 1_000_003 + salt * 7919 + SPLIT_STREAM[split]);
}

// ------------------------------------------------------------------ reversal

export const REVERSAL_T = 16;
export const REVERSAL_VOCAB = 11;

export function reversal(options: { split: Split; size?: number; seed?: number }): Dataset {
  const size = checkInt('reversal', 'size', options.size ?? (options.split === 'train' ? 12000 : 2000), 1);
  const seed = options.seed ?? 1;
  const rng = rngFor(1, options.split, seed);
  const T = REVERSAL_T;
  const tokens = new Int32Array(size * T);
  const mask = new Float32Array(size * T);
  const label = new Int32Array(size * T);
  for (let s = 0; s < size; s++) {
    const L = 8 + rng.int(T - 8 + 1);
    for (let i = 0; i < L; i++) {
      tokens[s * T + i] = 1 + rng.int(REVERSAL_VOCAB - 1);
      mask[s * T + i] = 1;
    }
    for (let i = 0; i < L; i++) label[s * T + i] = tokens[s * T + L - 1 - i];
  }
  return {
    name: `reversal(${options.split})`,
    size,
    fields: {
      tokens: { dtype: 'i32', sampleShape: [T], data: tokens },
      mask: { dtype: 'f32', sampleShape: [T], data: mask },
      label: { dtype: 'i32', sampleShape: [T], data: label },
    },
  };
}

// ------------------------------------------------------------------ adding

export function adding(options: { split: Split; size?: number; length?: number; seed?: number }): Dataset {
  const size = checkInt('adding', 'size', options.size ?? (options.split === 'train' ? 10000 : 2000), 1);
  const T = checkInt('adding', 'length', options.length ?? 50, 2, 10000);
  const seed = options.seed ?? 1;
  const rng = rngFor(2, options.split, seed);
  const x = new Float32Array(size * T * 2);
  const target = new Float32Array(size);
  const half = Math.floor(T / 2);
  for (let s = 0; s < size; s++) {
    for (let t = 0; t < T; t++) x[(s * T + t) * 2] = rng.next();
    const a = rng.int(half);
    const b = half + rng.int(T - half);
    x[(s * T + a) * 2 + 1] = 1;
    x[(s * T + b) * 2 + 1] = 1;
    target[s] = x[(s * T + a) * 2] + x[(s * T + b) * 2];
  }
  return {
    name: `adding(${options.split}, length ${T})`,
    size,
    fields: {
      x: { dtype: 'f32', sampleShape: [T, 2], data: x },
      target: { dtype: 'f32', sampleShape: [1], data: target },
    },
  };
}

// ------------------------------------------------------------------ seasonal

export const SEASONAL_LENGTH = 6000;
/** each split's stretch of the series, as fractions of its length */
export const SEASONAL_STRETCH: Record<Split, [number, number]> = { train: [0, 0.7], validation: [0.7, 0.8], test: [0.8, 1] };

/** The whole series for a seed (both splits cut it). */
export function seasonalSeries(seed: number, n = SEASONAL_LENGTH): Float64Array {
  const rng = new Rng(seed * 1_000_003 + 3 * 7919);
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++)
    y[t] = Math.sin((2 * Math.PI * t) / 12) + 0.6 * Math.sin((2 * Math.PI * t) / 40 + 1) + 0.3 * Math.sin((2 * Math.PI * t) / 7 + 2) + 0.15 * rng.normal();
  return y;
}

export function seasonal(options: { split: Split; window?: number; horizon?: number; seed?: number }): Dataset {
  const W = checkInt('seasonal', 'window', options.window ?? 48, 1, 1000);
  const Hz = checkInt('seasonal', 'horizon', options.horizon ?? 8, 1, 1000);
  const seed = options.seed ?? 1;
  const y = seasonalSeries(seed);
  // in time order: the first 70% train, the next 10% validation, the last 20% test;
  // a window starting at s reads y[s .. s+W) and predicts y[s+W .. s+W+Hz), all inside its stretch
  const [from, to] = SEASONAL_STRETCH[splitOf(options.split, 'seasonal')].map((f) => Math.floor(SEASONAL_LENGTH * f));
  const [lo, hi] = [from, to - W - Hz];
  const size = hi - lo + 1;
  if (size < 1) throw new DatasetError(`seasonal: window ${W} + horizon ${Hz} do not fit the ${options.split} stretch of the series`);
  const x = new Float32Array(size * W);
  const target = new Float32Array(size * Hz);
  const last = new Float32Array(size * Hz);
  let sse = 0;
  for (let i = 0; i < size; i++) {
    const s = lo + i;
    for (let t = 0; t < W; t++) x[i * W + t] = y[s + t];
    const prev = Math.fround(y[s + W - 1]);
    for (let h = 0; h < Hz; h++) {
      target[i * Hz + h] = y[s + W + h];
      last[i * Hz + h] = prev;
      sse += (target[i * Hz + h] - prev) ** 2;
    }
  }
  const persistence = new Float32Array(size).fill(sse / (size * Hz));
  return {
    name: `seasonal(${options.split})`,
    size,
    fields: {
      x: { dtype: 'f32', sampleShape: [W, 1], data: x },
      target: { dtype: 'f32', sampleShape: [Hz], data: target },
      last: { dtype: 'f32', sampleShape: [Hz], data: last },
      persistence_mse: { dtype: 'f32', sampleShape: [], data: persistence },
    },
  };
}

// ------------------------------------------------------------------ grammar

export const GRAMMAR_ALPHABET = ' .abcdefghijklmnopqrstuvwxyz';

const WORDS = {
  det: ['the', 'a', 'every', 'some'],
  adj: ['big', 'small', 'red', 'old', 'happy', 'quiet'],
  noun: ['cat', 'dog', 'bird', 'man', 'woman', 'tree', 'house', 'river'],
  name: ['anna', 'bob', 'carl', 'dora'],
  verbT: ['sees', 'likes', 'chases', 'finds', 'knows'],
  verbI: ['sleeps', 'runs', 'sings', 'waits'],
  prep: ['with', 'near', 'under', 'behind'],
};

/** One sentence of the grammar (see the file comment). */
function sentence(rng: Rng): string {
  const pick = (a: string[]) => a[rng.int(a.length)];
  const np = (): string => {
    if (rng.next() < 0.25) return pick(WORDS.name);
    const words = [pick(WORDS.det)];
    if (rng.next() < 0.5) words.push(pick(WORDS.adj));
    if (rng.next() < 0.15) words.push(pick(WORDS.adj));
    words.push(pick(WORDS.noun));
    return words.join(' ');
  };
  const pp = () => `${pick(WORDS.prep)} ${np()}`;
  let vp: string;
  const r = rng.next();
  if (r < 0.5) vp = `${pick(WORDS.verbT)} ${np()}`;
  else if (r < 0.75) vp = pick(WORDS.verbI);
  else vp = `${pick(WORDS.verbI)} ${pp()}`;
  if (rng.next() < 0.2) vp += ` ${pp()}`;
  let s = `${np()} ${vp}`;
  if (rng.next() < 0.15) s += ` and ${np()} ${pick(WORDS.verbI)}`;
  return s + ' .';
}

/** `chars` characters of grammar text for a stream. */
export function grammarText(rng: Rng, chars: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const s = sentence(rng);
    parts.push(s);
    n += s.length + 1;
  }
  return parts.join(' ').slice(0, chars);
}

export function grammar(options: { split: Split; size?: number; length?: number; seed?: number }): Dataset {
  const size = checkInt('grammar', 'size', options.size ?? (options.split === 'train' ? 6000 : 1000), 1);
  const T = checkInt('grammar', 'length', options.length ?? 32, 1, 4096);
  const seed = options.seed ?? 1;
  const rng = rngFor(4, options.split, seed);
  const text = grammarText(rng, size * T + 1);
  const ids = Int32Array.from(text, (c) => GRAMMAR_ALPHABET.indexOf(c));
  const tokens = new Int32Array(size * T);
  const label = new Int32Array(size * T);
  for (let s = 0; s < size; s++)
    for (let t = 0; t < T; t++) {
      tokens[s * T + t] = ids[s * T + t];
      label[s * T + t] = ids[s * T + t + 1];
    }
  return {
    name: `grammar(${options.split})`,
    size,
    fields: {
      tokens: { dtype: 'i32', sampleShape: [T], data: tokens },
      label: { dtype: 'i32', sampleShape: [T], data: label },
    },
  };
}
