/**
 * The NaN policy on the webgpu backend: relu(NaN) is NaN, relu(±Infinity) is
 * Infinity or 0, as on the CPU (test/runtime/finite.test.ts) and in PyTorch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiate } from '../../runtime/index.js';
import { haveWebGpu } from './helpers.js';

test('webgpu: NaN and Infinity flow through relu (alone and fused) as IEEE arithmetic says', async () => {
  if (!(await haveWebGpu())) return;
  const r = compileSource('model Act {\n  input x: f32[B, 4]\n  output y: f32[B, 4]\n  output z: f32[B, 4]\n  y = relu(x * 2)\n  z = relu(x)\n}\n', 'act.dnn');
  assert.equal(r.diagnostics, []);
  const m = await instantiate(programFromModel(r.file!.models[0]), { backend: 'webgpu' });
  try {
    const { y, z } = await m.predict({ x: new Float32Array([NaN, -1, 1.5, Infinity, -Infinity, 0, -0, 2]) });
    for (const [name, t, want] of [['relu(2x)', y, [0, 3, Infinity, 0, 0, 0, 4]], ['relu(x)', z, [0, 1.5, Infinity, 0, 0, 0, 2]]] as const) {
      assert.ok(Number.isNaN(t.data[0]), `${name} of NaN is ${t.data[0]}`);
      assert.equal(Array.from(t.data.subarray(1)), want, name);
    }
  } finally {
    m.dispose();
  }
});

test.run();
