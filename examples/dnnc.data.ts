/**
 * The data sets of the examples, registered the way a project registers its
 * own: `dnnc` finds this file beside a .dnn file or in a folder above it
 * (dnnc.data.ts, .mts, .js or .mjs) and imports it before compiling, so
 * the examples' .dnn files can name `loans(split: train)` or `grammar(length: 32)`.
 * A program that compiles or trains in-process imports it itself.
 *
 * Each definition holds the arguments, the fields of one sample (what the
 * compiler checks `data.tokens` and class counts against), the loader (the
 * generators in runtime/data) and the simple baselines printed beside the
 * model's metrics.
 */
import { forecastBaselines, meanTarget, ngramBaselines } from '../runtime/baselines/index.js';
import {
  adding,
  grammar,
  GRAMMAR_ALPHABET,
  loans,
  LOANS_FEATURES,
  registerDataset,
  reversal,
  REVERSAL_T,
  REVERSAL_VOCAB,
  ring,
  seasonal,
  splitOf,
  type DatasetArgs,
  type DatasetDefinition,
} from '../runtime/data/index.js';
import type { Dataset } from '../runtime/types.js';

/** A numeric argument as given, or undefined for the loader's default (the registry checked the type). */
const num = (args: DatasetArgs, name: string): number | undefined => (typeof args[name] === 'number' ? (args[name] as number) : undefined);
const int = (args: DatasetArgs, name: string, dflt: number): number => num(args, name) ?? dflt;

const split = { name: 'split', type: 'split' } as const;
const seed = { name: 'seed', type: 'int', min: 0 } as const;
const positive = (name: string) => ({ name, type: 'int', min: 1 }) as const;

/** Token accuracy of answering each position with its input token (where mask is 1): the reversal's "did nothing" answer. */
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

export const exampleDatasets: DatasetDefinition[] = [
  {
    name: 'loans',
    doc: 'loans(split: train|validation|test, size = 4000, seed = 1): generated loan-default table, 8 features, label 0/1',
    params: [split, { name: 'size', type: 'int' }, { name: 'seed', type: 'int' }],
    fields: () => [
      { name: 'features', dtype: 'f32', shape: [LOANS_FEATURES.length] },
      { name: 'label', dtype: 'i32', shape: [], below: 2 },
    ],
    load: (a) => loans({ split: splitOf(a.split, 'loans'), size: num(a, 'size'), seed: num(a, 'seed') }),
  },
  {
    name: 'ring',
    doc: 'ring(split: train|validation|test, size = 8000 for train else 2000, modes = 8, radius = 2, std = 0.05, seed = 1): 2-D points from Gaussians on a circle: point f32[2], mode i32',
    params: [split, { name: 'size', type: 'int' }, { name: 'modes', type: 'int' }, { name: 'radius', type: 'num' }, { name: 'std', type: 'num' }, { name: 'seed', type: 'int' }],
    fields: (a) => [
      { name: 'point', dtype: 'f32', shape: [2] },
      { name: 'mode', dtype: 'i32', shape: [], below: int(a, 'modes', 8) },
    ],
    load: (a) =>
      ring({ split: splitOf(a.split, 'ring'), size: num(a, 'size'), modes: num(a, 'modes'), radius: num(a, 'radius'), std: num(a, 'std'), seed: num(a, 'seed') }),
  },
  {
    name: 'reversal',
    doc: 'reversal(split: train|validation|test, size = 12000 for train else 2000, seed = 1): random token sequences (length 8-16, tokens 1..10, 0 = padding) to reverse: tokens i32[16], mask f32[16], label i32[16]',
    params: [split, positive('size'), seed],
    fields: () => [
      { name: 'tokens', dtype: 'i32', shape: [REVERSAL_T], below: REVERSAL_VOCAB },
      { name: 'mask', dtype: 'f32', shape: [REVERSAL_T] },
      { name: 'label', dtype: 'i32', shape: [REVERSAL_T], below: REVERSAL_VOCAB },
    ],
    load: (a) => reversal({ split: splitOf(a.split, 'reversal'), size: num(a, 'size'), seed: num(a, 'seed') }),
    baselines: ({ evaluated }) => ({ copy: copyTokens(evaluated) }),
  },
  {
    name: 'adding',
    doc: 'adding(split: train|validation|test, size = 10000 for train else 2000, length = 50, seed = 1): the adding problem: x f32[length, 2] (values, markers), target f32[1] = the sum of the two marked values',
    params: [split, positive('size'), positive('length'), seed],
    fields: (a) => [
      { name: 'x', dtype: 'f32', shape: [int(a, 'length', 50), 2] },
      { name: 'target', dtype: 'f32', shape: [1] },
    ],
    load: (a) => adding({ split: splitOf(a.split, 'adding'), size: num(a, 'size'), length: num(a, 'length'), seed: num(a, 'seed') }),
    baselines: ({ train, evaluated }) => ({ mean: meanTarget(train, evaluated, 'target') }),
  },
  {
    name: 'seasonal',
    doc: 'seasonal(split: train|validation|test, window = 48, horizon = 8, seed = 1): a noisy sum of sines; x f32[window, 1] -> target f32[horizon], with the persistence forecast last f32[horizon] and its mean squared error persistence_mse; test = the held-out last 20% of the series',
    params: [split, positive('window'), positive('horizon'), seed],
    fields: (a) => [
      { name: 'x', dtype: 'f32', shape: [int(a, 'window', 48), 1] },
      { name: 'target', dtype: 'f32', shape: [int(a, 'horizon', 8)] },
      { name: 'last', dtype: 'f32', shape: [int(a, 'horizon', 8)] },
      { name: 'persistence_mse', dtype: 'f32', shape: [] },
    ],
    load: (a) => seasonal({ split: splitOf(a.split, 'seasonal'), window: num(a, 'window'), horizon: num(a, 'horizon'), seed: num(a, 'seed') }),
    baselines: ({ train, evaluated }) => forecastBaselines(train, evaluated),
  },
  {
    name: 'grammar',
    doc: 'grammar(split: train|validation|test, size = 6000 for train else 1000, length = 32, seed = 1): characters of text from a stochastic grammar (alphabet of 28: space, ".", a-z): tokens i32[length] -> label i32[length], the next characters',
    params: [split, positive('size'), positive('length'), seed],
    fields: (a) => [
      { name: 'tokens', dtype: 'i32', shape: [int(a, 'length', 32)], below: GRAMMAR_ALPHABET.length },
      { name: 'label', dtype: 'i32', shape: [int(a, 'length', 32)], below: GRAMMAR_ALPHABET.length },
    ],
    load: (a) => grammar({ split: splitOf(a.split, 'grammar'), size: num(a, 'size'), length: num(a, 'length'), seed: num(a, 'seed') }),
    baselines: ({ train, validation, evaluated }) => (validation ? ngramBaselines(train, validation, evaluated, GRAMMAR_ALPHABET.length) : {}),
  },
];

for (const d of exampleDatasets) registerDataset(d);
