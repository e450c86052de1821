/** CPU plans against the reference interpreter on whole training steps (fused and unfused). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { evaluate } from '../../compiler/interp.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { instantiate } from '../../runtime/index.js';

const source = `model M { input x: f32[B, 3]  output y: f32[B, 2]  y = x |> dense(4) |> tanh |> dense(2) |> sigmoid }
train M { t: f32[B, 2]  loss = mse(y, t)  optimizer = sgd(lr: 0.5) }`;

test('a node reading one value twice (tanh gradient: mul(y, y)) trains on the CPU like the reference', async () => {
  const r = compileSource(source, 'm.dnn');
  const model = r.file!.models[0];
  const m = await instantiate(programFromModel(model), { seed: 3 });
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  const t = Float32Array.from({ length: 8 }, (_, i) => (i % 3) / 2);
  const w0 = m.getWeights();
  const { loss } = await m.trainStep({ x, t });
  const ref = (a: Float32Array, shape: number[]): RefTensor => ({ dtype: 'f32', shape, data: Float64Array.from(a) });
  const params: Record<string, RefTensor> = {};
  for (const p of model.params) params[p.path] = ref(w0[p.path], p.shape);
  const one = { dtype: 'f32' as const, shape: [], data: Float64Array.of(1) };
  const want = evaluate(model.train!.step, { inputs: { x: ref(x, [4, 3]), t: ref(t, [4, 2]), lr: { ...one, data: Float64Array.of(0.5) }, step: one }, params });
  assert.ok(Math.abs(loss - want.outputs.loss.data[0]) < 1e-5, `loss ${loss} vs ${want.outputs.loss.data[0]}`);
  const w1 = m.getWeights();
  for (const p of model.params) for (let i = 0; i < w1[p.path].length; i++) assert.ok(Math.abs(w1[p.path][i] - want.updates[p.path].data[i]) < 1e-5, p.path);
  m.dispose();
});

test.run();
