/**
 * Data sets a project registers (compiler/data/registry.ts): a train block
 * names them like the built-ins, their fields are checked at compile time,
 * their arguments are located diagnostics, their loader's failures and
 * mismatches are DatasetErrors naming them, and their baselines are printed
 * beside the built-in majority baseline.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { registerDataset, unregisterDataset, type DatasetDefinition } from '../../compiler/data/registry.js';
import { dataBaselines } from '../../runtime/baselines/index.js';
import { datasetNames, loadDataset } from '../../runtime/data/index.js';
import type { Dataset } from '../../runtime/types.js';

/** `size` samples of x f32[width] (x = i) and y i32 (y = i % classes). */
function blocks(size: number, width: number, classes: number): Dataset {
  const x = new Float32Array(size * width);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    x.fill(i, i * width, (i + 1) * width);
    y[i] = i % classes;
  }
  return { name: 'blocks', size, fields: { x: { dtype: 'f32', sampleShape: [width], data: x }, y: { dtype: 'i32', sampleShape: [], data: y } } };
}

const arg = (a: Record<string, unknown>, k: string, d: number) => (typeof a[k] === 'number' ? (a[k] as number) : d);
const BLOCKS: DatasetDefinition = {
  name: 'blocks',
  doc: 'blocks(split: train|validation|test, size = 12, width = 4, classes = 3): x f32[width], y i32 in [0, classes)',
  params: [
    { name: 'split', type: 'split' },
    { name: 'size', type: 'int', min: 1 },
    { name: 'width', type: 'int', min: 1 },
    { name: 'classes', type: 'int', min: 1 },
  ],
  fields: (a) => [
    { name: 'x', dtype: 'f32', shape: [arg(a, 'width', 4)] },
    { name: 'y', dtype: 'i32', shape: [], below: arg(a, 'classes', 3) },
  ],
  load: (a) => blocks(arg(a, 'size', 12), arg(a, 'width', 4), arg(a, 'classes', 3)),
  baselines: ({ evaluated }) => ({ first: { accuracy: evaluated.fields.y.data[0] === 0 ? 1 : 0 } }),
};

function withSet<T>(def: DatasetDefinition, fn: () => T): T {
  registerDataset(def);
  try {
    return fn();
  } finally {
    unregisterDataset(def.name);
  }
}

const source = (call: string, width = 4, classes = 3) => `model M {
  input  x: f32[B, ${width}]
  output y: f32[B, ${classes}]
  y = x |> dense(${classes})
}

train M {
  data  = ${call}
  label : i32[B]
  loss  = cross_entropy(y, data.y)
  batch = 4
}
`;

const errors = (text: string) => compileSource(text, 'r.dnn').diagnostics.filter((d) => d.severity === 'error');

test('a registered data set compiles like a built-in one, with its fields checked', () => {
  withSet(BLOCKS, () => {
    assert.equal(errors(source('blocks(split: train)')), []);
    assert.equal(errors(source('blocks(width: 6)', 6)), []);
    // 3 logits, but classes: 5 gives ids up to 4: the class check reads the field's `below`
    const classes = errors(source('blocks(classes: 5)'));
    assert.is(classes.length, 1);
    assert.match(classes[0].message, /3 classes.*'y' of blocks\(classes: 5\)/);
    // a field the definition does not declare
    const field = errors(source('blocks(split: train)').replace('data.y', 'data.z'));
    assert.ok(field.length > 0 && field.every((d) => d.span.file === 'r.dnn'));
    assert.match(field[0].message, /z/);
  });
});

test('its arguments are located diagnostics: types, minimums, split values, unknown names', () => {
  withSet(BLOCKS, () => {
    for (const [call, want] of [
      ['blocks(size: 0)', /blocks: size must be an integer of at least 1, got 0/],
      ['blocks(split: dev)', /dev/],
      ['blocks(width: "wide")', /width/],
      ['blocks(colour: 3)', /colour/],
    ] as const) {
      const d = errors(source(call));
      assert.ok(d.length > 0, call);
      assert.match(d[0].message, want, call);
      const text = source(call);
      const at = text.indexOf(call);
      assert.ok(d[0].span.offset >= at && d[0].span.offset < at + call.length, `${call}: the diagnostic points into the call`);
    }
  });
});

test("a definition whose fields() throws or is malformed is a diagnostic at the call, not a crash", () => {
  for (const [fields, want] of [
    [() => { throw new Error('no width for you'); }, /blocks: no width for you/],
    [() => [{ name: 'x', dtype: 'f64', shape: [4] }], /dtype must be 'f32' or 'i32'/],
    [() => [{ name: 'x', dtype: 'f32', shape: [0] }], /shape must be a list of positive integers/],
    [() => [{ name: 'x', dtype: 'f32', shape: [2 ** 16, 2 ** 16] }], /more than 2\^31 elements/],
    [() => [], /non-empty array/],
  ] as const) {
    const def = { ...BLOCKS, fields: fields as unknown as DatasetDefinition['fields'] };
    withSet(def, () => {
      const d = errors(source('blocks(split: train)'));
      assert.is(d.length, 1);
      assert.is(d[0].code, 'DNN0022');
      assert.match(d[0].message, want);
    });
  }
});

test('registerDataset refuses built-in names, non-identifiers, bad params and a second definition under one name', () => {
  assert.throws(() => registerDataset({ ...BLOCKS, name: 'dense' }), /'dense' is a built-in/);
  assert.throws(() => registerDataset({ ...BLOCKS, name: 'mnist' }), /'mnist' is a built-in/);
  assert.throws(() => registerDataset({ ...BLOCKS, name: 'my data' }), /must be an identifier/);
  assert.throws(() => registerDataset({ ...BLOCKS, params: [{ name: 'size', type: 'float' as 'num' }] }), /type of split, int, num, str, list/);
  assert.throws(() => registerDataset({ ...BLOCKS, params: [BLOCKS.params[1], BLOCKS.params[1]] }), /listed twice/);
  withSet(BLOCKS, () => {
    registerDataset(BLOCKS); // the same definition again: a module imported twice
    assert.throws(() => registerDataset({ ...BLOCKS }), /already registered/);
    assert.ok(datasetNames().includes('blocks'));
  });
  assert.not.ok(datasetNames().includes('blocks'));
  assert.equal(errors(source('blocks(split: train)')).map((d) => d.code).slice(0, 1), ['DNN0004']);
});

test('loading: arguments from a JSON spec are checked, a failing loader and a loader that breaks its own fields are DatasetErrors naming the set', () => {
  withSet(BLOCKS, () => {
    assert.is(loadDataset({ name: 'blocks', args: { size: 5 } }, '.').size, 5);
    const err = (spec: Record<string, unknown>) => {
      try {
        loadDataset({ name: 'blocks', args: spec as never }, '.');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    };
    assert.match(err({ size: 'big' }).message, /blocks: size must be a number/);
    assert.match(err({ split: 'dev' }).message, /blocks: split must be train, validation or test/);
    assert.match(err({ depth: 2 }).message, /blocks has no argument 'depth'/);
    assert.is(err({ size: 'big' }).name, 'DatasetError');
  });
  withSet({ ...BLOCKS, load: () => { throw new TypeError('disk on fire'); } }, () => {
    const e = (() => {
      try {
        loadDataset({ name: 'blocks', args: {} }, '.');
      } catch (x) {
        return x as Error;
      }
    })()!;
    assert.is(e.name, 'DatasetError');
    assert.is(e.message, 'blocks: disk on fire');
  });
  withSet({ ...BLOCKS, load: () => blocks(4, 5, 3) }, () => {
    assert.throws(() => loadDataset({ name: 'blocks', args: {} }, '.'), /blocks: the loader returned x as f32\[5\]; its definition declares f32\[4\]/);
  });
});

test("baselines: the majority class for any scalar i32 label 'label', and what the definition adds", () => {
  withSet(BLOCKS, () => {
    const d = blocks(6, 2, 3);
    assert.equal(dataBaselines('blocks', { train: d, evaluated: d }), { first: { accuracy: 1 } });
  });
  assert.equal(dataBaselines('blocks', { train: blocks(6, 2, 3), evaluated: blocks(6, 2, 3) }), {});
});

test.run();
