/**
 * The ONNX mapping table covers the registry: every op has an entry (a rule,
 * or the reason it has none), and every entry names a registry op. A new op
 * fails here until someone decides how it exports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allOps } from '../../compiler/ops/index.js';
import { onnxOps } from '../../compiler/ops/onnx.js';

test('every registry op has an ONNX entry', () => {
  const missing = allOps()
    .map((o) => o.name)
    .filter((n) => !Object.prototype.hasOwnProperty.call(onnxOps, n));
  assert.equal(missing, []);
});

test('every ONNX entry is a registry op', () => {
  const names = new Set(allOps().map((o) => o.name));
  assert.equal(Object.keys(onnxOps).filter((n) => !names.has(n)), []);
});

test('an op without a rule says why', () => {
  for (const [op, m] of Object.entries(onnxOps)) if (typeof m !== 'function') assert.ok(m.unsupported.length > 10, op);
});

test.run();
