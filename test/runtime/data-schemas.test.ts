/**
 * The compiler's picture of each built-in data set (compiler/lower/builtins/
 * data-schemas.ts: fields, dtypes, sample shapes, class ranges) matches what
 * the runtime's loader returns, with default and non-default arguments.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataFields } from '../../compiler/lower/builtins/data-schemas.js';
import { builtins } from '../../compiler/lower/builtins/index.js';
import { datasetNames, loadDataset } from '../../runtime/data/index.js';

const cases: { name: string; args: Record<string, string | number> }[] = [
  { name: 'mnist', args: { split: 'validation' } },
  { name: 'loans', args: { split: 'test', size: 200 } },
  { name: 'ring', args: { split: 'test', size: 300 } },
  { name: 'ring', args: { split: 'test', size: 300, modes: 3 } },
  { name: 'reversal', args: { split: 'test', size: 300 } },
  { name: 'adding', args: { split: 'test', size: 20 } },
  { name: 'adding', args: { split: 'test', size: 20, length: 12 } },
  { name: 'seasonal', args: { split: 'test' } },
  { name: 'seasonal', args: { split: 'test', window: 10, horizon: 3 } },
  { name: 'grammar', args: { split: 'test', size: 50 } },
  { name: 'grammar', args: { split: 'test', size: 50, length: 9 } },
];

for (const c of cases) {
  test(`${c.name}(${JSON.stringify(c.args)}): schema = loaded fields`, () => {
    const schema = dataFields({ name: c.name, args: c.args })!;
    const data = loadDataset({ name: c.name, args: c.args }, '.');
    assert.equal([...schema.keys()].sort(), Object.keys(data.fields).sort());
    for (const [name, f] of schema) {
      const got = data.fields[name];
      assert.is(got.dtype, f.dtype, name);
      assert.equal(['B', ...got.sampleShape], f.shape, name);
      if (f.below !== undefined) {
        let max = -Infinity;
        for (const v of got.data) max = Math.max(max, v);
        assert.ok(Math.min(...got.data) >= 0 && max < f.below, `${name} in [0, ${f.below})`);
        if (data.size >= 200) assert.is(max, f.below - 1, `${name} reaches ${f.below - 1}`);
      }
    }
  });
}

test('every built-in data set has a schema, except csv (known only from its file)', () => {
  const compiled = [...builtins.values()].filter((b) => b.kind === 'data').map((b) => b.name).sort();
  assert.equal(compiled, datasetNames());
  for (const n of compiled) assert.is(dataFields({ name: n, args: {} }) === undefined, n === 'csv', n);
});

test.run();
