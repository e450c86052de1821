import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { datasetNames, loadDataset } from '../../runtime/data/index.js';

function error(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

test('loadDataset: loans by spec', () => {
  const d = loadDataset({ name: 'loans', args: { split: 'test', size: 500, seed: 2 } }, '.');
  assert.is(d.size, 100);
  assert.equal(Object.keys(d.fields).sort(), ['features', 'label']);
});

test('loadDataset: an unknown name lists the known ones', () => {
  const e = error(() => loadDataset({ name: 'mnistt', args: {} }, '.'));
  assert.is(e.name, 'DatasetError');
  assert.match(e.message, /unknown dataset 'mnistt'/);
  for (const n of datasetNames()) assert.ok(e.message.includes(n), n);
  assert.ok(datasetNames().includes('loans') && datasetNames().includes('csv'));
});

test('loadDataset: bad arguments are clean errors', () => {
  assert.match(error(() => loadDataset({ name: 'loans', args: { split: 'valid' } }, '.')).message, /split must be train, validation or test/);
  assert.match(error(() => loadDataset({ name: 'loans', args: { splt: 'train' } }, '.')).message, /loans has no argument 'splt'; usage: loans\(/);
  assert.match(error(() => loadDataset({ name: 'loans', args: { size: 'big' } }, '.')).message, /size must be a number/);
  assert.match(error(() => loadDataset({ name: 'csv', args: { label: 'y' } }, '.')).message, /first argument must be the file name/);
  assert.match(error(() => loadDataset({ name: 'loans', args: { '0': 'train' } }, '.')).message, /loans takes no positional argument #1/);
});

test.run();
