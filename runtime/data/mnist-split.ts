/**
 * The mnist data set without files: the 10,000 digits (given per digit, as
 * the `mnist` package ships them) shuffled once with MNIST_SEED and split
 * 7,000 / 1,000 / 2,000, the same in Node (mnist.ts reads the package's
 * files) and in browsers (data/browser.ts fetches them).
 */
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

export interface MnistAll {
  /** MNIST_SIZE images in the shuffled order, values in [0, 1] */
  image: Float32Array;
  label: Int32Array;
}

/**
 * Every digit in one shuffled order: `perDigit[d]` holds every image of digit
 * d concatenated (784 values in [0, 1] each); `source` names where they came
 * from in errors.
 */
export function shuffleDigits(perDigit: readonly ArrayLike<number>[], source: string): MnistAll {
  if (perDigit.length !== 10) throw new DatasetError(`mnist: expected the images of 10 digits from ${source}, got ${perDigit.length}`);
  perDigit.forEach((a, d) => {
    if (a.length === 0 || a.length % PIXELS !== 0) throw new DatasetError(`mnist: digit ${d} from ${source} is not whole 28×28 images (${a.length} values, not a multiple of ${PIXELS})`);
  });
  const total = perDigit.reduce((n, a) => n + a.length / PIXELS, 0);
  if (total !== MNIST_SIZE) throw new DatasetError(`mnist: expected ${MNIST_SIZE} images from ${source}, found ${total} (is it the 'mnist' package version 1.1.0?)`);

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
  return { image, label };
}

/** One split of the shuffled set, pixel values mapped to `scale`. */
export function mnistSplit(all: MnistAll, options: MnistOptions): Dataset {
  const split = splitOf(options.split, 'mnist');
  const [lo, hi] = options.scale ?? [0, 1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new DatasetError(`mnist: scale must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);

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
