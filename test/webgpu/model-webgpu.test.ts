/**
 * Whole models on webgpu against cpu: examples/mlp and a small hand-written
 * model predict the same, and 5 Adam training steps give the same losses and
 * weights; matmul at awkward sizes (not tile multiples, transposed, batched);
 * weights stay on the device (getWeights after training asks for readWeights);
 * a model whose ops lack WGSL is refused with the ops named.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { GraphBuilder } from '../../compiler/builder.js';
import { Graph } from '../../compiler/ir.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { DEFAULT_MATMUL_TILING, LARGE_MATMUL_TILING, overrideMatmulTiling, pickMatmulTiling, type MatmulTiling } from '../../codegen/wgsl/ops/linalg.js';
import { missingKernels } from '../../codegen/wgsl/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Model, TypedArray } from '../../runtime/types.js';
import type { Program } from '../../runtime/program.js';
import { assertClose, haveWebGpu, rng } from './helpers.js';
import { compareLogic, compileModel, floats, labels, LOGIC, SMALL } from '../helpers/cross-backend.js';

async function pair(program: Program): Promise<[Model, Model]> {
  const cpu = await instantiate(program, { backend: 'cpu', seed: 7 });
  const gpu = await instantiate(program, { backend: 'webgpu', seed: 7 });
  return [cpu, gpu];
}

async function trainAndCompare(model: CompiledModel, inDim: number, classes: number, input: string, B: number): Promise<void> {
  const [cpu, gpu] = await pair(programFromModel(model));
  try {
    assert.is(gpu.backend, 'webgpu');
    const x = floats(B * inDim, 1);
    const p1 = await cpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    const p2 = await gpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    for (const k of Object.keys(p1)) assertClose(p2[k].data, p1[k].data, `predict ${k}`);
    const lossesCpu: number[] = [];
    const lossesGpu: number[] = [];
    for (let s = 0; s < 5; s++) {
      const batch = { [input]: { data: floats(B * inDim, 10 + s), shape: [B, inDim] }, label: labels(B, classes, 20 + s) };
      lossesCpu.push((await cpu.trainStep(batch)).loss);
      lossesGpu.push((await gpu.trainStep(batch)).loss);
    }
    assertClose(lossesGpu, lossesCpu, 'losses of 5 adam steps', 1e-4);
    // weights stay on the device: getWeights refuses stale values, readWeights reads them back
    assert.throws(() => gpu.getWeights(), /readWeights/);
    const wc = cpu.getWeights();
    const wg = await gpu.readWeights();
    for (const path of Object.keys(wc)) assertClose(wg[path], wc[path], `weights ${path}`, 1e-4);
    // after training, predict still agrees
    const q1 = await cpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    const q2 = await gpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    for (const k of Object.keys(q1)) assertClose(q2[k].data, q1[k].data, `predict after training ${k}`);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
}

test('examples/mlp: predict and 5 adam steps agree on cpu and webgpu', async () => {
  if (!(await haveWebGpu())) return;
  const file = 'examples/mlp/mlp.dnn';
  await trainAndCompare(compileModel(readFileSync(file, 'utf8'), file), 8, 2, 'features', 16);
});

test('a hand-written model (sigmoid, relu, softmax): predict and 5 adam steps agree', async () => {
  if (!(await haveWebGpu())) return;
  await trainAndCompare(compileModel(SMALL, 'small.dnn'), 6, 3, 'x', 8);
});

test('comparisons, logic, where, dim(B) and predict noise (per call, per seed) agree with cpu', async () => {
  if (!(await haveWebGpu())) return;
  const [cpu, gpu] = await pair(programFromModel(compileModel(LOGIC, 'logic.dnn')));
  try {
    await compareLogic(cpu, gpu, (g, w, l) => assertClose(g, w, l));
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

test('setWeights goes to the device; evaluate and several batch sizes', async () => {
  if (!(await haveWebGpu())) return;
  const [cpu, gpu] = await pair(programFromModel(compileModel(SMALL, 'small.dnn')));
  try {
    const w = cpu.getWeights();
    for (const k of Object.keys(w)) w[k] = floats(w[k].length, 99, 0.5);
    cpu.setWeights(w);
    gpu.setWeights(w);
    for (const B of [1, 3, 8]) {
      const x = floats(B * 6, B);
      assertClose((await gpu.predict({ x: { data: x, shape: [B, 6] } })).y.data, (await cpu.predict({ x: { data: x, shape: [B, 6] } })).y.data, `B=${B}`);
    }
    const data = { name: 'd', size: 10, fields: { x: { dtype: 'f32' as const, sampleShape: [6], data: floats(60, 5) }, label: { dtype: 'i32' as const, sampleShape: [], data: labels(10, 3, 6) } } };
    const e1 = await cpu.evaluate(data, { batchSize: 4 });
    const e2 = await gpu.evaluate(data, { batchSize: 4 });
    assertClose([e2.loss], [e1.loss], 'evaluate loss');
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

function matmulModel(sa: (number | string)[], sb: (number | string)[], transA: boolean, transB: boolean): CompiledModel {
  const g = new Graph('mm');
  const b = new GraphBuilder(g);
  b.scope = 'MM.mm';
  const x = b.input('a', 'f32', sa);
  const y = b.input('b', 'f32', sb);
  const out = b.op('matmul', [x, y], { transA, transB });
  g.outputs = [{ name: 'c', value: out }];
  return {
    name: 'MM',
    inputs: [
      { name: 'a', dtype: 'f32', shape: sa },
      { name: 'b', dtype: 'f32', shape: sb },
    ],
    outputs: [{ name: 'c', dtype: 'f32', shape: out.type.shape }],
    params: [],
    state: [],
    predict: g,
  };
}

test('every matmul tiling (the large one and the bench sweep\'s) is right at sizes that are not tile multiples', async () => {
  if (!(await haveWebGpu())) return;
  const tilings: MatmulTiling[] = [
    LARGE_MATMUL_TILING,
    { TM: 128, TN: 64, RM: 8, RN: 4, TK: 16 },
    { TM: 64, TN: 64, RM: 8, RN: 8, TK: 32 },
    { TM: 256, TN: 128, RM: 16, RN: 8, TK: 8 },
  ];
  const cases: [number[], number[], boolean, boolean][] = [
    [[131, 37], [37, 150], false, false],
    [[37, 131], [150, 37], true, true],
    [[2, 140, 20], [2, 20, 129], false, false],
  ];
  for (const t of tilings) {
    overrideMatmulTiling(t);
    try {
      for (const [sa, sb, tA, tB] of cases) {
        const [cpu, gpu] = await pair(programFromModel(matmulModel(sa, sb, tA, tB)));
        try {
          const feed = { a: { data: floats(sa.reduce((p, q) => p * q, 1), 5) as TypedArray, shape: sa }, b: { data: floats(sb.reduce((p, q) => p * q, 1), 6) as TypedArray, shape: sb } };
          const want = await cpu.predict(feed);
          const got = await gpu.predict(feed);
          assertClose(got.c.data, want.c.data, `matmul ${JSON.stringify([sa, sb, tA, tB])} tiling ${JSON.stringify(t)}`, 1e-4);
        } finally {
          cpu.dispose();
          gpu.dispose();
        }
      }
    } finally {
      overrideMatmulTiling(undefined);
    }
  }
  // the rule: static sizes from 1024 up get the large tiles
  assert.equal(pickMatmulTiling(1024, 2048), LARGE_MATMUL_TILING);
  assert.equal(pickMatmulTiling(1023, 2048), DEFAULT_MATMUL_TILING);
  assert.equal(pickMatmulTiling('B', 4096), DEFAULT_MATMUL_TILING);
});

test('matmul at awkward sizes: 67x45 @ 45x93, transposed variants, batched, symbolic batch', async () => {
  if (!(await haveWebGpu())) return;
  const cases: [(number | string)[], (number | string)[], boolean, boolean, number[], number[]][] = [
    [[67, 45], [45, 93], false, false, [67, 45], [45, 93]],
    [[45, 67], [45, 93], true, false, [45, 67], [45, 93]],
    [[67, 45], [93, 45], false, true, [67, 45], [93, 45]],
    [[45, 67], [93, 45], true, true, [45, 67], [93, 45]],
    [[3, 17, 33], [3, 33, 70], false, false, [3, 17, 33], [3, 33, 70]],
    [[2, 1, 9, 65], [3, 65, 5], false, false, [2, 1, 9, 65], [3, 65, 5]],
    [['B', 70], [70, 66], false, false, [5, 70], [70, 66]],
    [['B', 13, 20], [31, 20], false, true, [4, 13, 20], [31, 20]],
  ];
  for (const [sa, sb, tA, tB, na, nb] of cases) {
    const [cpu, gpu] = await pair(programFromModel(matmulModel(sa, sb, tA, tB)));
    try {
      const feed = { a: { data: floats(na.reduce((p, q) => p * q, 1), 3) as TypedArray, shape: na }, b: { data: floats(nb.reduce((p, q) => p * q, 1), 4) as TypedArray, shape: nb } };
      const want = await cpu.predict(feed);
      const got = await gpu.predict(feed);
      assert.equal(got.c.shape, want.c.shape);
      assertClose(got.c.data, want.c.data, `matmul ${JSON.stringify([sa, sb, tA, tB])}`, 1e-4);
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  }
});

test('a model with ops lacking WGSL is refused on webgpu, naming them; missingKernels lists them', async () => {
  const model = matmulModel([4, 4], [4, 4], false, false);
  const program = programFromModel(model);
  // simulate an op without WGSL: the planner records it per entry
  const broken: Program = { ...program, entries: { predict: { ...program.entries.predict, wgslMissing: ['conv2d', 'maxpool2d'] } } };
  try {
    await instantiate(broken, { backend: 'webgpu' });
    assert.unreachable('no error');
  } catch (e) {
    assert.match((e as Error).message, /no WGSL kernel for op\(s\) conv2d, maxpool2d/);
  }
  // auto does not pick webgpu for it (cpu runs everything)
  const auto = await instantiate(broken, { backend: 'auto' });
  assert.is(auto.backend, 'cpu');
  auto.dispose();
  assert.equal(missingKernels(model, 'webgpu'), []);
  const cpuOnly: Program = { ...program, entries: { predict: { ...program.entries.predict, wgsl: undefined } } };
  try {
    await instantiate(cpuOnly, { backend: 'webgpu' });
    assert.unreachable('no error');
  } catch (e) {
    assert.match((e as Error).message, /no WGSL kernels/);
  }
});

test("backend 'auto' prefers webgpu when an adapter exists", async () => {
  if (!(await haveWebGpu())) return;
  const m = await instantiate(programFromModel(matmulModel([2, 2], [2, 2], false, false)), { backend: 'auto' });
  assert.is(m.backend, 'webgpu');
  m.dispose();
});

test.run();
