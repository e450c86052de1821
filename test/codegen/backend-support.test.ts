/** Asked for a GPU backend, the compiler reports ops without a kernel there as located diagnostics. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backendDiagnostics } from '../../codegen/backend-support.js';
import { hasGpujs } from '../../codegen/gpujs/kernel.js';
import { compileSource } from '../../compiler/compile.js';

test('a model is checked against a backend: one located error per missing op, none for cpu', () => {
  const file = 'examples/mnist/mnist.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  assert.equal(backendDiagnostics(res.file!, 'cpu'), []);
  const gj = backendDiagnostics(res.file!, 'gpujs');
  const missing = ['conv2d', 'maxpool2d'].filter((op) => !hasGpujs(op));
  for (const op of missing) {
    const d = gj.find((x) => x.message.includes(`'${op}'`));
    assert.ok(d, `gpujs lacks ${op}: expected a diagnostic`);
    assert.is(d!.code, 'DNN0030');
    assert.is(d!.span.line, 11, 'points at the layer in the pipe');
  }
  assert.is(gj.length, new Set(gj.map((d) => d.message)).size, 'one diagnostic per op');
});

test('a model whose ops all have kernels passes', () => {
  const res = compileSource(`model M { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(8) |> relu |> dense(2) }`, 'm.dnn');
  assert.equal(backendDiagnostics(res.file!, 'webgpu'), []);
  assert.equal(backendDiagnostics(res.file!, 'gpujs'), []);
});

test.run();
