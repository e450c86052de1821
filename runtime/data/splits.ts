/**
 * The three splits every built-in data set has. Models are chosen on
 * `validation` (epochs, learning rates, early stopping); `test` is reported
 * once, at the end, as the field does.
 */
import { DatasetError } from './errors.js';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** The split argument of data set `name`, checked (default train). */
export function splitOf(value: unknown, name: string): Split {
  const s = value ?? 'train';
  if (!SPLITS.includes(s as Split)) throw new DatasetError(`${name}: split must be train, validation or test, got ${JSON.stringify(s)}`);
  return s as Split;
}

/** Offsets that give each split of a generated set its own random stream. */
export const SPLIT_STREAM: Record<Split, number> = { train: 0, validation: 52_361, test: 104_729 };
