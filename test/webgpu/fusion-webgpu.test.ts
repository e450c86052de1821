/**
 * Fusion differential test on WebGPU: random graphs (fast-check) compiled
 * with fusion and buffer reuse run on webgpu, compiled without them run on
 * the cpu; results agree within the f32 tolerance of the cross-backend tests.
 * Few runs: SwiftShader compiles shaders slowly. Then a small conv net
 * trained on both: the fusions of the training step (bias gradients in the
 * weight-gradient GEMMs, the packed multi-tensor Adam) against the unfused cpu.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { build, fuzzInputs, step } from '../helpers/random-graphs.js';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { getOp } from '../../compiler/ops/index.js';
import { fuseGraph } from '../../compiler/passes/fuse.js';
import { fileStats } from '../../codegen/stats.js';
import { assertClose, haveWebGpu, rng } from './helpers.js';

test('random graphs: fused on webgpu equals unfused on cpu', async () => {
  if (!(await haveWebGpu())) return;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 2 }), async (steps, outs) => {
      const model = build(steps, outs);
      const gpu = await instantiate(programFromModel(model), { backend: 'webgpu', seed: 1 });
      const cpu = await instantiate(programFromModel(model, { fuse: false, reuse: false }), { backend: 'cpu', seed: 1 });
      try {
        const a = await gpu.predict(fuzzInputs);
        const b = await cpu.predict(fuzzInputs);
        for (const name of Object.keys(b)) assertClose(a[name].data, b[name].data, name);
      } finally {
        gpu.dispose();
        cpu.dispose();
      }
    }),
    { numRuns: 24, seed: 7 },
  );
});

// A conv layer and two dense layers of sizes that are not tile multiples: each
// bias gradient is computed by its weight gradient's GEMM (one more row or
// column of ones), the Adam update of all tensors is one packed dispatch.
const ODD = `
model Odd {
  input  x: f32[B, 3, 9, 9]
  output y: f32[B, 5]
  y = x |> conv2d(filters: 7, kernel: 3) |> relu |> flatten |> dense(37) |> relu |> dense(5)
}
train Odd {
  label     : i32[B]
  loss      = cross_entropy(y, label)
  optimizer = adam(lr: 0.01)
  batch     = 3
}
`;

test('bias gradients inside the weight-gradient GEMMs and the packed Adam step: fused webgpu trains as unfused cpu', async () => {
  if (!(await haveWebGpu())) return;
  const res = compileSource(ODD, 'odd.dnn');
  const model = res.file!.models[0];
  const stats = fileStats(res.file!, { optimize: true, batch: 3 }).Odd.trainStep;
  // conv (bias in the filter-gradient GEMM), two dense (bias in the weight-gradient GEMM), one Adam dispatch
  const plan = fuseGraph(model.train!.step);
  assert.is(plan.groups.filter((grp) => grp.nodes.some((n) => getOp(n.op).sumOf) && grp.nodes.some((n) => getOp(n.op).contracts)).length, 3);
  assert.is(plan.groups.filter((grp) => grp.kind === 'multi').length, 1);
  assert.is(stats.webgpuDispatches, stats.dispatches);
  const gpu = await instantiate(programFromModel(model), { backend: 'webgpu', seed: 4 });
  const cpu = await instantiate(programFromModel(model, { fuse: false, reuse: false }), { backend: 'cpu', seed: 4 });
  try {
    const next = rng(9);
    for (let s = 0; s < 3; s++) {
      const batch = { x: { data: Float32Array.from({ length: 3 * 3 * 81 }, () => next() * 2 - 1), shape: [3, 3, 9, 9] }, label: Int32Array.from({ length: 3 }, () => Math.floor(next() * 5)) };
      const a = await gpu.trainStep(batch);
      const b = await cpu.trainStep(batch);
      assertClose([a.loss], [b.loss], `loss of step ${s}`, 1e-4);
    }
    const wg = await gpu.readWeights();
    const wc = await cpu.readWeights();
    for (const path of Object.keys(wc)) assertClose(wg[path], wc[path], `weights ${path}`, 1e-3);
  } finally {
    gpu.dispose();
    cpu.dispose();
  }
});

test.run();
