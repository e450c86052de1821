/**
 * The simple baselines a data set is judged against, computed on the same
 * evaluated split as the model (the test split, once): what a metric means
 * is how far it is from these.
 *
 *   every set with a scalar i32 label   majority: the most frequent train class (accuracy)
 *   a registered data set               what its definition's baselines() gives; the
 *                                       examples' (examples/dnnc.data.ts) use the
 *                                       forecasts, n-gram counts and means below
 *
 * A model's own simplest form trained the same way (a linear layer in place
 * of the network) is the CLI's (cli/baselines.ts): it needs the compiler.
 * Metrics are named as the examples' train blocks name theirs.
 */
import { registeredDataset } from '../../compiler/data/registry.js';
import type { Dataset } from '../types.js';

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

/** Mean squared error of always answering the train split's mean of `field`. */
export function meanTarget(train: Dataset, evaluated: Dataset, field: string): { mse: number } {
  const t = train.fields[field].data;
  let mean = 0;
  for (const v of t) mean += v / t.length;
  let s = 0;
  for (const v of evaluated.fields[field].data) s += (v - mean) ** 2;
  return { mse: s / evaluated.fields[field].data.length };
}

/**
 * The baselines of data set `name`, fitted on train (choices on validation)
 * and scored on `evaluated`: the majority class for any scalar i32 label,
 * and whatever a registered data set's definition adds.
 */
export function dataBaselines(name: string, splits: { train: Dataset; validation?: Dataset; evaluated: Dataset }): BaselineMetrics {
  const { train, evaluated } = splits;
  const out: BaselineMetrics = {};
  const label = train.fields.label;
  if (label && label.dtype === 'i32' && label.sampleShape.length === 0) out.majority = majority(train, evaluated);
  Object.assign(out, registeredDataset(name)?.baselines?.(splits));
  return out;
}
