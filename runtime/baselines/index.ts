/**
 * The simple baselines each built-in data set is judged against, computed on
 * the same evaluated split as the model (the test split, once): what a
 * metric means is how far it is from these.
 *
 *   every set with a scalar i32 label   majority: the most frequent train class (accuracy)
 *   seasonal                            mean, persistence, seasonal_naive, linear_ar (mse)
 *   grammar                             unigram, bigram, trigram counts (cross_entropy, nats)
 *   adding                              mean: the train targets' mean (mse)
 *   reversal                            copy: the input, not reversed (token_accuracy over the real positions)
 *
 * A model's own simplest form trained the same way (a linear layer in place
 * of the network) is the CLI's (cli/baselines.ts): it needs the compiler.
 * Metrics are named as the examples' train blocks name theirs.
 */
import type { Dataset } from '../types.js';
import { GRAMMAR_ALPHABET } from '../data/sequences.js';
import { forecastBaselines } from './forecast.js';
import { ngramBaselines } from './ngram.js';

export type BaselineMetrics = Record<string, Record<string, number>>;

export { fitLinearAr, forecastBaselines, SEASON } from './forecast.js';
export { ngramBaselines } from './ngram.js';
export { meanAndCovariance, solveSpd, symmetricEigen } from './linalg.js';
export { fitPca, meanRowMse, pcaReconstructionMse, type Pca } from './pca.js';
export { classCounts, classifierScore, frechetDistance, softmaxRows } from './frechet.js';

/** Accuracy of always answering the most frequent class of the train split. */
export function majority(train: Dataset, evaluated: Dataset, field = 'label'): { accuracy: number } {
  const counts = new Map<number, number>();
  for (const v of train.fields[field].data) counts.set(v, (counts.get(v) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  let right = 0;
  for (const v of evaluated.fields[field].data) if (v === top) right++;
  return { accuracy: right / evaluated.size };
}

function meanTarget(train: Dataset, evaluated: Dataset, field: string): { mse: number } {
  const t = train.fields[field].data;
  let mean = 0;
  for (const v of t) mean += v / t.length;
  let s = 0;
  for (const v of evaluated.fields[field].data) s += (v - mean) ** 2;
  return { mse: s / evaluated.fields[field].data.length };
}

/** Token accuracy of answering each position with its input token (where mask is 1). */
function copyTokens(d: Dataset): { token_accuracy: number } {
  const tokens = d.fields.tokens.data;
  const label = d.fields.label.data;
  const mask = d.fields.mask.data;
  let right = 0;
  let n = 0;
  for (let i = 0; i < label.length; i++)
    if (mask[i]) {
      n++;
      if (tokens[i] === label[i]) right++;
    }
  return { token_accuracy: right / n };
}

/** The baselines of data set `name` (the builtin's name), fitted on train (choices on validation), scored on `evaluated`. */
export function dataBaselines(name: string, splits: { train: Dataset; validation?: Dataset; evaluated: Dataset }): BaselineMetrics {
  const { train, validation, evaluated } = splits;
  const out: BaselineMetrics = {};
  const label = train.fields.label;
  if (label && label.dtype === 'i32' && label.sampleShape.length === 0) out.majority = majority(train, evaluated);
  if (name === 'seasonal') Object.assign(out, forecastBaselines(train, evaluated));
  if (name === 'grammar' && validation) Object.assign(out, ngramBaselines(train, validation, evaluated, GRAMMAR_ALPHABET.length));
  if (name === 'adding') out.mean = meanTarget(train, evaluated, 'target');
  if (name === 'reversal') out.copy = copyTokens(evaluated);
  return out;
}
