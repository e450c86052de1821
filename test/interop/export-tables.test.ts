/**
 * The export tables cover the registry: every op has an ONNX entry and a
 * PyTorch entry (a rule, or the reason it has none), and every entry names
 * a registry op. A new op fails here until someone decides how it exports.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allOps } from '../../compiler/ops/index.js';
import { onnxOps } from '../../compiler/ops/onnx.js';
import { torchOps } from '../../compiler/ops/torch.js';

const tables: [string, Record<string, unknown>][] = [
  ['ONNX', onnxOps],
  ['PyTorch', torchOps],
];

for (const [format, table] of tables) {
  test(`every registry op has a ${format} entry`, () => {
    const missing = allOps()
      .map((o) => o.name)
      .filter((n) => !Object.prototype.hasOwnProperty.call(table, n));
    assert.equal(missing, []);
  });

  test(`every ${format} entry is a registry op`, () => {
    const names = new Set(allOps().map((o) => o.name));
    assert.equal(Object.keys(table).filter((n) => !names.has(n)), []);
  });

  test(`a ${format} entry without a rule says why`, () => {
    for (const [op, m] of Object.entries(table)) if (typeof m !== 'function') assert.ok(typeof (m as { unsupported: string }).unsupported === 'string' && (m as { unsupported: string }).unsupported.length > 10, op);
  });
}

test("docs/interop.md's ONNX table names every op that is not a leaf", () => {
  const doc = readFileSync(new URL('../../docs/interop.md', import.meta.url), 'utf8');
  const leaves = new Set(['const', 'input', 'param', 'state']);
  const missing = allOps()
    .map((o) => o.name)
    .filter((n) => !leaves.has(n) && !new RegExp(`\\b${n}\\b`).test(doc));
  assert.equal(missing, []);
});

test.run();
