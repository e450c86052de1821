import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDataset } from '../../runtime/data/index.js';
import { mnist, mnistDigitsDir, MNIST_SIZE, MNIST_TEST, MNIST_TRAIN, MNIST_VALIDATION } from '../../runtime/data/mnist.js';
import type { TypedArray } from '../../runtime/types.js';

const sha = (a: TypedArray) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
const counts = (l: TypedArray) => {
  const k = new Array<number>(10).fill(0);
  for (const v of l) k[v]++;
  return k;
};

test('mnist: 7,000 train / 1,000 validation / 2,000 test, fields and shapes', () => {
  const tr = mnist({ split: 'train' });
  const va = mnist({ split: 'validation' });
  const te = mnist({ split: 'test' });
  assert.is(MNIST_SIZE, 10_000);
  assert.is(tr.size, MNIST_TRAIN);
  assert.is(va.size, MNIST_VALIDATION);
  assert.is(te.size, MNIST_TEST);
  assert.equal([tr.size, va.size, te.size], [7000, 1000, 2000]);
  assert.is(va.name, 'mnist(validation)');
  for (const d of [tr, va, te]) {
    assert.equal(Object.keys(d.fields).sort(), ['image', 'label']);
    assert.is(d.fields.image.dtype, 'f32');
    assert.equal(d.fields.image.sampleShape, [1, 28, 28]);
    assert.ok(d.fields.image.data instanceof Float32Array);
    assert.is(d.fields.image.data.length, d.size * 784);
    assert.is(d.fields.label.dtype, 'i32');
    assert.equal(d.fields.label.sampleShape, []);
    assert.ok(d.fields.label.data instanceof Int32Array);
    assert.is(d.fields.label.data.length, d.size);
  }
  assert.is(tr.name, 'mnist(train)');
  assert.is(te.name, 'mnist(test)');
});

test('mnist: the split is the same in every run (pinned fingerprints)', () => {
  const tr = mnist({ split: 'train' });
  const te = mnist({ split: 'test' });
  // first labels of each split, and hashes of every byte: a change in the shuffle, the seed or the parsing shows here
  assert.equal(Array.from(tr.fields.label.data.subarray(0, 20)), [4, 5, 4, 1, 9, 9, 3, 6, 8, 6, 9, 1, 1, 6, 7, 3, 7, 6, 8, 9]);
  assert.equal(Array.from(te.fields.label.data.subarray(0, 20)), [5, 5, 6, 7, 3, 3, 2, 2, 0, 9, 5, 9, 1, 4, 9, 8, 9, 1, 3, 3]);
  assert.is(sha(tr.fields.image.data), '360426f5f0c2f8c1');
  assert.is(sha(tr.fields.label.data), '6f268386a02228bd');
  const va = mnist({ split: 'validation' });
  assert.equal(Array.from(va.fields.label.data.subarray(0, 10)), [0, 2, 2, 6, 3, 3, 1, 2, 6, 9]);
  assert.is(sha(va.fields.image.data), '72694b4c08a93c4a');
  assert.is(sha(va.fields.label.data), '4ee3ab3853d6a2c0');
  // the test split is the same 2,000 digits as when the split had two parts (results stay comparable)
  assert.is(sha(te.fields.image.data), 'a594a273dd6aa5a1');
  assert.is(sha(te.fields.label.data), '7a2b7bbc04e4e719');
  // and loading again gives the same data
  const again = mnist({ split: 'test' });
  assert.is(sha(again.fields.image.data), sha(te.fields.image.data));
});

test('mnist: every digit of the package once; every split holds every class in sane shares', () => {
  const tr = mnist({ split: 'train' });
  const va = mnist({ split: 'validation' });
  const te = mnist({ split: 'test' });
  const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]; // the package's files
  const all = counts(tr.fields.label.data).map((n, d) => n + counts(va.fields.label.data)[d] + counts(te.fields.label.data)[d]);
  assert.equal(all, perDigit);
  for (const d of [tr, va, te]) {
    const c = counts(d.fields.label.data);
    for (let k = 0; k < 10; k++) {
      const share = c[k] / d.size;
      assert.ok(share > 0.07 && share < 0.13, `${d.name}: digit ${k} is ${(share * 100).toFixed(1)}% of the samples`);
    }
  }
  // shuffled: the train split is not in digit order
  const head = Array.from(tr.fields.label.data.subarray(0, 100));
  assert.ok(new Set(head).size === 10);
});

test('mnist: images match the package files; train and test share no image', () => {
  const tr = mnist({ split: 'train' });
  const te = mnist({ split: 'test' });
  // the first test image is one of the package's images of its label, value for value
  const label = te.fields.label.data[0];
  const src = (JSON.parse(readFileSync(join(mnistDigitsDir(), `${label}.json`), 'utf8')) as { data: number[] }).data;
  const img = te.fields.image.data.subarray(0, 784);
  let found = false;
  for (let off = 0; off < src.length && !found; off += 784) {
    let same = true;
    for (let p = 0; p < 784 && same; p++) same = Math.fround(src[off + p]) === img[p];
    found = same;
  }
  assert.ok(found, 'the first test image is not in the package file of its digit');
  const key = (d: Float32Array, i: number) => sha(d.subarray(i * 784, i * 784 + 784));
  const trainKeys = new Set<string>();
  for (let i = 0; i < tr.size; i++) trainKeys.add(key(tr.fields.image.data as Float32Array, i));
  let shared = 0;
  for (let i = 0; i < te.size; i++) if (trainKeys.has(key(te.fields.image.data as Float32Array, i))) shared++;
  // the package's files may hold a few byte-identical images; the split itself never puts one sample in both
  assert.ok(shared <= 2, `${shared} test images also appear in train`);
});

test('mnist: pixels in [0, 1] by default, mapped to scale: [lo, hi]', () => {
  const tr = mnist({ split: 'train' });
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of tr.fields.image.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    sum += v;
  }
  assert.is(lo, 0);
  assert.is(hi, 1);
  const mean = sum / tr.fields.image.data.length;
  assert.ok(mean > 0.08 && mean < 0.2, `mean pixel ${mean}`); // mostly background
  const s = mnist({ split: 'train', scale: [-1, 1] });
  assert.is(s.name, 'mnist(train, scale: [-1, 1])');
  const a = tr.fields.image.data;
  const b = s.fields.image.data;
  for (const i of [0, 100, 1000, 150_000, a.length - 1]) assert.ok(Math.abs(b[i] - (2 * a[i] - 1)) < 1e-6, `pixel ${i}`);
  assert.equal(Array.from(s.fields.label.data.subarray(0, 50)), Array.from(tr.fields.label.data.subarray(0, 50)));
  // the default-scale data is not changed by asking for another scale
  assert.is(mnist({ split: 'train' }).fields.image.data[a.length - 1], a[a.length - 1]);
});

test('mnist: cached after the first load (fast)', () => {
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) mnist({ split: i % 2 ? 'train' : 'test' });
  assert.ok(performance.now() - t0 < 50, 'ten loads after the first should take well under 50 ms');
});

test('mnist through loadDataset: arguments checked', () => {
  const d = loadDataset({ name: 'mnist', args: { split: 'test', scale: [-1, 1] } }, '.');
  assert.is(d.size, 2000);
  assert.is(d.fields.image.data[0], -1);
  assert.is(loadDataset({ name: 'mnist', args: {} }, '.').size, 7000);
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.is((e as Error).name, 'DatasetError');
      return (e as Error).message;
    }
    throw new Error('expected a DatasetError');
  };
  assert.match(err(() => loadDataset({ name: 'mnist', args: { split: 'val' } }, '.')), /split must be train, validation or test/);
  assert.match(err(() => loadDataset({ name: 'mnist', args: { scale: [1] } }, '.')), /scale must be a pixel range/);
  assert.match(err(() => loadDataset({ name: 'mnist', args: { scale: [1, -1] } }, '.')), /lo < hi/);
  assert.match(err(() => loadDataset({ name: 'mnist', args: { size: 10 } }, '.')), /has no argument 'size'/);
});

test.run();
