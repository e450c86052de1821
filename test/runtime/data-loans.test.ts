import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateLoansRaw, loans, loansRule, LOANS_FEATURES } from '../../runtime/data/loans.js';

test('loans: 70/10/20 split, fields and shapes', () => {
  const tr = loans({ split: 'train' });
  const va = loans({ split: 'validation' });
  const te = loans({ split: 'test' });
  assert.equal([tr.size, va.size, te.size], [2800, 400, 800]);
  assert.is(LOANS_FEATURES.length, 8);
  assert.equal(tr.fields.features.sampleShape, [8]);
  assert.is(tr.fields.features.dtype, 'f32');
  assert.is(tr.fields.features.data.length, 2800 * 8);
  assert.equal(tr.fields.label.sampleShape, []);
  assert.is(tr.fields.label.dtype, 'i32');
  assert.ok(tr.fields.label.data instanceof Int32Array);
  assert.ok(Array.from(tr.fields.label.data).every((y) => y === 0 || y === 1));
  const small = loans({ split: 'test', size: 100 });
  assert.is(small.size, 20);
});

test('loans: deterministic for a seed, different across seeds', () => {
  const a = loans({ split: 'train', seed: 3 });
  const b = loans({ split: 'train', seed: 3 });
  const c = loans({ split: 'train', seed: 4 });
  assert.equal(Array.from(a.fields.features.data), Array.from(b.fields.features.data));
  assert.equal(Array.from(a.fields.label.data), Array.from(b.fields.label.data));
  assert.not.equal(Array.from(a.fields.features.data.slice(0, 16)), Array.from(c.fields.features.data.slice(0, 16)));
});

test('loans: train features are standardized; classes are balanced enough', () => {
  const tr = loans({ split: 'train' });
  const x = tr.fields.features.data;
  for (let j = 0; j < 8; j++) {
    let m = 0;
    let v = 0;
    for (let i = 0; i < tr.size; i++) m += x[i * 8 + j] / tr.size;
    for (let i = 0; i < tr.size; i++) v += (x[i * 8 + j] - m) ** 2 / tr.size;
    assert.ok(Math.abs(m) < 1e-4, `feature ${LOANS_FEATURES[j]} mean ${m}`);
    assert.ok(Math.abs(v - 1) < 1e-3, `feature ${LOANS_FEATURES[j]} variance ${v}`);
  }
  const rate = Array.from(tr.fields.label.data).reduce((a, b) => a + b, 0) / tr.size;
  assert.ok(rate > 0.2 && rate < 0.5, `default rate ${rate}`);
});

test('loans: labels follow the documented rule up to ~3% noise', () => {
  const { raw, label } = generateLoansRaw(4000, 1);
  let flips = 0;
  for (let i = 0; i < 4000; i++) if ((loansRule(raw.subarray(i * 8, i * 8 + 8)) ? 1 : 0) !== label[i]) flips++;
  const rate = flips / 4000;
  assert.ok(rate > 0.015 && rate < 0.045, `noise rate ${rate}`);
});

test('loans: learnable: logistic regression in plain JS beats 85% on the test split', () => {
  const tr = loans({ split: 'train' });
  const te = loans({ split: 'test' });
  const w = new Float64Array(8);
  let b = 0;
  const xs = tr.fields.features.data;
  const ys = tr.fields.label.data;
  for (let ep = 0; ep < 10; ep++) {
    for (let i = 0; i < tr.size; i++) {
      let s = b;
      for (let j = 0; j < 8; j++) s += w[j] * xs[i * 8 + j];
      const g = 1 / (1 + Math.exp(-s)) - ys[i];
      for (let j = 0; j < 8; j++) w[j] -= 0.02 * g * xs[i * 8 + j];
      b -= 0.02 * g;
    }
  }
  let correct = 0;
  for (let i = 0; i < te.size; i++) {
    let s = b;
    for (let j = 0; j < 8; j++) s += w[j] * te.fields.features.data[i * 8 + j];
    if ((s > 0 ? 1 : 0) === te.fields.label.data[i]) correct++;
  }
  const acc = correct / te.size;
  assert.ok(acc > 0.85, `accuracy ${acc}`);
});

test.run();
