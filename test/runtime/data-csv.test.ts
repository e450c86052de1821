import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadDataset } from '../../runtime/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dnnc-csv-'));
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

function throwsWith(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.is((e as Error).name, 'DatasetError');
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('expected an error');
}

test('csv: numeric columns become features in column order, integer label is i32', () => {
  write('a.csv', 'x1,name,y,x2\n1.5,alice,0,2\n-3,bob,1,4e1\n\n0,carol,1,7\n');
  const d = loadDataset({ name: 'csv', args: { '0': 'a.csv', label: 'y' } }, dir);
  assert.is(d.size, 3);
  assert.equal(d.fields.features.sampleShape, [2]);
  assert.is(d.fields.features.dtype, 'f32');
  assert.equal(Array.from(d.fields.features.data), [1.5, 2, -3, 40, 0, 7]);
  assert.is(d.fields.label.dtype, 'i32');
  assert.equal(Array.from(d.fields.label.data), [0, 1, 1]);
});

test('csv: fractional label is f32; quotes, CRLF and a BOM are fine; relative to baseDir', () => {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  write('sub/b.csv', '\uFEFF"a","t"\r\n"1",0.5\r\n2,"1.25"\r\n');
  const d = loadDataset({ name: 'csv', args: { '0': 'sub/b.csv', label: 't' } }, dir);
  assert.is(d.fields.label.dtype, 'f32');
  assert.equal(Array.from(d.fields.label.data), [0.5, 1.25]);
  assert.equal(Array.from(d.fields.features.data), [1, 2]);
});

test('csv: without a label, every numeric column is a feature', () => {
  write('c.csv', 'a,b\n1,2\n3,4\n');
  const d = loadDataset({ name: 'csv', args: { '0': 'c.csv' } }, dir);
  assert.equal(Object.keys(d.fields), ['features']);
  assert.equal(d.fields.features.sampleShape, [2]);
});

test('csv: a missing label column names the columns that exist', () => {
  write('d.csv', 'age,income\n1,2\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'd.csv', label: 'y' } }, dir), /d\.csv has no column 'y'.*'age', 'income'/);
});

test('csv: a row with the wrong number of cells names the file and line', () => {
  write('e.csv', 'a,b,y\n1,2,0\n3,4\n5,6,1\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'e.csv', label: 'y' } }, dir), /e\.csv:3: row has 2 value\(s\) but the header has 3/);
});

test('csv: a non-number in a numeric column names the file, line and column', () => {
  write('f.csv', 'a,y\n1,0\n2,1\nabc,0\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'f.csv', label: 'y' } }, dir), /f\.csv:4: column 'a' has 'abc', not a number/);
  write('g.csv', 'a,y\n1,0\n,1\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'g.csv', label: 'y' } }, dir), /g\.csv:3: column 'a' has an empty value/);
});

test('csv: broken quoting names the file and line', () => {
  write('h.csv', 'a,y\n1,0\n"2,1\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'h.csv', label: 'y' } }, dir), /h\.csv:\d+: malformed CSV/);
});

test('csv: a missing file is a clean error', () => {
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'nope.csv', label: 'y' } }, dir), /cannot read 'nope\.csv'.*no such file/);
});

test('csv: a text label column is refused with advice', () => {
  write('i.csv', 'a,y\n1,yes\n2,no\n');
  throwsWith(() => loadDataset({ name: 'csv', args: { '0': 'i.csv', label: 'y' } }, dir), /label column 'y' holds no numbers/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
