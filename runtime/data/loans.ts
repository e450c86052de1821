/**
 * `loans(split: train|validation|test, size: 4000, seed: 1)`: a generated tabular data
 * set with a known rule, for the MLP example and learning tests.
 *
 * Each applicant is drawn independently:
 *   age            ~ N(42, 12) clipped to [21, 75] years
 *   income         ~ lognormal, median 55 (k$ per year), rising slightly with age
 *   debt ratio     ~ N(0.35, 0.15) clipped to [0, 1.2] (monthly debt / income)
 *   credit score   ~ N(680, 70) clipped to [300, 850]
 *   years employed ~ exponential, mean 7, at most age - 18
 *   loan amount    ~ lognormal, median 15 (k$)
 *   late payments  ~ Poisson(0.5 * exp((680 - score) / 80)): a count, more with low scores
 *   has mortgage   ~ Bernoulli(0.2, or 0.5 from age 35 on), 0 or 1
 *
 * The label (1 = the loan defaults) is a fixed rule of the raw values:
 *   burden = loan / income                       (loan-to-income)
 *   z = 5.0 * (debt - 0.35)
 *     - 0.025 * (score - 680)
 *     - 0.015 * (income - 55)
 *     + 4.0 * (burden - 0.3)
 *     - 0.08 * (years - 7)
 *     - 0.4 * mortgage
 *     + 12.0 * (debt - 0.35) * (burden - 0.3)    (interaction: high debt AND a large loan)
 *     - 1.0
 *   default = sigmoid(z) > 0.5  (that is, z > 0)  OR  late payments >= 3
 * then 3% of the labels are flipped (label noise), so the best possible
 * accuracy is about 97%. About a third of the applicants default.
 *
 * The features are standardized (zero mean, unit variance) with the mean and
 * standard deviation of the train split, in the order
 *   age, income, debt ratio, credit score, years employed, loan amount,
 *   late payments, has mortgage.
 * `size` samples are generated for a seed; the first 70% are the train split,
 * the next 10% validation, the last 20% test (samples are independent, so this
 * is a random split; the test split is the same as when there were two).
 */
import type { Dataset } from '../types.js';
import { DatasetError } from './errors.js';
import { splitOf, type Split } from './splits.js';
import { Rng } from './random.js';

export const LOANS_FEATURES = ['age', 'income', 'debt_ratio', 'credit_score', 'years_employed', 'loan_amount', 'late_payments', 'has_mortgage'] as const;

export interface LoansOptions {
  split: Split;
  size?: number;
  seed?: number;
}

const NF = LOANS_FEATURES.length;

/** The raw (unstandardized) rows and labels for `size` applicants. */
export function generateLoansRaw(size: number, seed: number): { raw: Float64Array; label: Int32Array } {
  const rng = new Rng(seed * 7919 + 17);
  const raw = new Float64Array(size * NF);
  const label = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const age = clip(42 + 12 * rng.normal(), 21, 75);
    const income = Math.exp(Math.log(55) + 0.004 * (age - 42) + 0.45 * rng.normal());
    const debt = clip(0.35 + 0.15 * rng.normal(), 0, 1.2);
    const score = clip(680 + 70 * rng.normal(), 300, 850);
    const years = Math.min(age - 18, -7 * Math.log(1 - rng.next()));
    const loan = Math.exp(Math.log(15) + 0.6 * rng.normal());
    const late = rng.poisson(0.5 * Math.exp((680 - score) / 80));
    const mortgage = rng.next() < (age >= 35 ? 0.5 : 0.2) ? 1 : 0;
    const row = [age, income, debt, score, years, loan, late, mortgage];
    for (let j = 0; j < NF; j++) raw[i * NF + j] = row[j];
    let y = loansRule(row) ? 1 : 0;
    if (rng.next() < 0.03) y = 1 - y;
    label[i] = y;
  }
  return { raw, label };
}

/** The noiseless rule on one raw row (see the file comment). */
export function loansRule(row: ArrayLike<number>): boolean {
  const [, income, debt, score, years, loan, late, mortgage] = Array.from(row);
  const burden = loan / income;
  const z =
    5.0 * (debt - 0.35) -
    0.025 * (score - 680) -
    0.015 * (income - 55) +
    4.0 * (burden - 0.3) -
    0.08 * (years - 7) -
    0.4 * mortgage +
    12.0 * (debt - 0.35) * (burden - 0.3) -
    1.0;
  return z > 0 || late >= 3;
}

export function loans(options: LoansOptions): Dataset {
  const size = options.size ?? 4000;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(size) || size < 5) throw new DatasetError(`loans: size must be an integer of at least 5, got ${size}`);
  if (!Number.isFinite(seed)) throw new DatasetError(`loans: seed must be a number, got ${seed}`);
  const { raw, label } = generateLoansRaw(size, seed);
  // 70% train, 10% validation, 20% test (samples are independent: a random split)
  const nTrain = Math.round(size * 0.7);
  const nTest = Math.round(size * 0.2);
  // standardize with the train split's statistics
  const mean = new Float64Array(NF);
  const std = new Float64Array(NF);
  for (let i = 0; i < nTrain; i++) for (let j = 0; j < NF; j++) mean[j] += raw[i * NF + j] / nTrain;
  for (let i = 0; i < nTrain; i++) for (let j = 0; j < NF; j++) std[j] += (raw[i * NF + j] - mean[j]) ** 2 / nTrain;
  for (let j = 0; j < NF; j++) std[j] = Math.sqrt(std[j]) || 1;

  const split = splitOf(options.split, 'loans');
  const [start, end] = split === 'train' ? [0, nTrain] : split === 'validation' ? [nTrain, size - nTest] : [size - nTest, size];
  const n = end - start;
  const features = new Float32Array(n * NF);
  for (let i = 0; i < n; i++) for (let j = 0; j < NF; j++) features[i * NF + j] = (raw[(start + i) * NF + j] - mean[j]) / std[j];
  return {
    name: `loans(${split})`,
    size: n,
    fields: {
      features: { dtype: 'f32', sampleShape: [NF], data: features },
      label: { dtype: 'i32', sampleShape: [], data: label.slice(start, end) },
    },
  };
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
