/** Asked for a GPU backend, the compiler reports ops without a kernel there as located diagnostics. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backendDiagnostics } from '../../codegen/backend-support.js';
import { gpujsRenderers } from '../../codegen/gpujs/renderers.js';
import { wgslRenderers } from '../../codegen/wgsl/renderers.js';
import { compileSource } from '../../compiler/compile.js';

test('a model is checked against a backend: one located error per missing op, none for cpu', () => {
  const file = 'examples/mnist/mnist.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  assert.equal(backendDiagnostics(res.file!, 'cpu'), []);
  assert.equal(backendDiagnostics(res.file!, 'gpujs'), [], 'every op of LeNet-5 has a gpu.js kernel');
  // take maxpool's gpu.js and WGSL renderers away for the length of the test
  const gpujs = gpujsRenderers as Record<string, unknown>;
  const wgsl = wgslRenderers as Record<string, unknown>;
  const saved = { gpujs: gpujs.maxpool2d, wgsl: wgsl.maxpool2d };
  delete gpujs.maxpool2d;
  delete wgsl.maxpool2d;
  try {
    for (const backend of ['gpujs', 'webgpu'] as const) {
      const ds = backendDiagnostics(res.file!, backend);
      assert.equal(ds.map((d) => d.code), ['DNN0030'], backend);
      assert.match(ds[0].message, `the ${backend} backend has no kernel for 'maxpool2d' (from maxpool_1), which 'LeNet' needs`);
      assert.is(ds[0].span.line, 11, 'points at the layer in the pipe');
    }
  } finally {
    gpujs.maxpool2d = saved.gpujs;
    wgsl.maxpool2d = saved.wgsl;
  }
});

test('a model whose ops all have kernels passes', () => {
  const res = compileSource(`model M { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(8) |> relu |> dense(2) }`, 'm.dnn');
  assert.equal(backendDiagnostics(res.file!, 'webgpu'), []);
  assert.equal(backendDiagnostics(res.file!, 'gpujs'), []);
});

test.run();
