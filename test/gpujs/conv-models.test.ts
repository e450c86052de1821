/**
 * Convolutional models on gpujs (gpu.js cpu mode in Node) against cpu: the
 * kernels of codegen/gpujs/ops (conv2d and its gradients, pooling and its
 * gradients, upsample, conv2d_transpose, the random ops) inside whole
 * training steps, where their outputs feed one another:
 *   - bench/models/lenet5.dnn: predict, 3 Adam steps (losses, metrics,
 *     weights), predict again;
 *   - a small net with every other image op (strided conv, avgpool, bilinear
 *     and nearest upsample, conv2d_transpose, dropout): dropout draws its mask
 *     with random_uniform, so equal losses also say the gpu.js hash matches
 *     the cpu's bit for bit;
 *   - random_uniform's kernel, run as gpu.js source in plain JS, against the
 *     reference for seeds and steps of every sign, large and fractional;
 *   - the refusal of a model whose op lacks a gpu.js kernel, and the
 *     compiler's backend diagnostic (every registry op has a kernel now, so
 *     these tests remove one renderer for their duration).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { getOp } from '../../compiler/ops/index.js';
import { randomAt, randomKey } from '../../compiler/ops/random.js';
import { normalAt } from '../../compiler/ops/random-normal.js';
import type { GpujsKernelContext } from '../../codegen/gpujs/types.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { missingGpujs } from '../../codegen/gpujs/index.js';
import { backendDiagnostics } from '../../codegen/backend-support.js';
import { randomNormalGpujs, randomUniformGpujs } from '../../codegen/gpujs/ops/random.js';
import { gpujsRenderers } from '../../codegen/gpujs/renderers.js';
import type { GpujsRenderer } from '../../codegen/gpujs/types.js';
import { instantiate } from '../../runtime/index.js';
import type { CreateOptions, Model, Tensor } from '../../runtime/types.js';
import { assertClose, oneNodeModel, rng } from './helpers.js';

const GJ: CreateOptions = { backend: 'gpujs', gpujs: { mode: 'cpu' } };

function compileModel(source: string, file: string): CompiledModel {
  const res = compileSource(source, file);
  assert.equal(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return res.file!.models.find((m) => m.train) ?? res.file!.models[0];
}

function floats(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}
function labels(n: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * classes));
}

/** predict, `steps` Adam steps (losses, metrics), weights, predict again: gpujs against cpu */
async function trainAndCompare(model: CompiledModel, input: string, sample: number[], classes: number, B: number, steps: number): Promise<void> {
  const program = programFromModel(model);
  assert.equal(missingGpujs(model), [], 'every op has a gpu.js kernel');
  const cpu: Model = await instantiate(program, { backend: 'cpu', seed: 7 });
  const gj: Model = await instantiate(program, { ...GJ, seed: 7 });
  try {
    assert.is(gj.backend, 'gpujs');
    const n = sample.reduce((a, b) => a * b, 1);
    const feed = (seed: number): Record<string, { data: Float32Array; shape: number[] }> => ({ [input]: { data: floats(B * n, seed), shape: [B, ...sample] } });
    const same = (got: Record<string, Tensor>, want: Record<string, Tensor>, label: string) => {
      for (const k of Object.keys(want)) assertClose(got[k].data, want[k].data, `${label} ${k}`);
    };
    same(await gj.predict(feed(1)), await cpu.predict(feed(1)), 'predict');
    const lc: number[] = [];
    const lg: number[] = [];
    for (let s = 0; s < steps; s++) {
      const batch = { ...feed(10 + s), label: labels(B, classes, 20 + s) };
      const rc = await cpu.trainStep(batch);
      const rg = await gj.trainStep(batch);
      lc.push(rc.loss, ...Object.values(rc.metrics));
      lg.push(rg.loss, ...Object.values(rg.metrics));
    }
    assertClose(lg, lc, `losses and metrics of ${steps} adam steps`, 1e-4);
    const wc = cpu.getWeights();
    const wg = await gj.readWeights();
    for (const path of Object.keys(wc)) assertClose(wg[path], wc[path], `weights ${path}`, 1e-4);
    same(await gj.predict(feed(1)), await cpu.predict(feed(1)), 'predict after training');
  } finally {
    cpu.dispose();
    gj.dispose();
  }
}

test('bench/models/lenet5.dnn: predict and 3 adam steps agree on cpu and gpujs', async () => {
  const file = 'bench/models/lenet5.dnn';
  await trainAndCompare(compileModel(readFileSync(file, 'utf8'), file), 'image', [1, 28, 28], 10, 3, 3);
});

const IMAGE_OPS = `
model Mixed {
  input  image: f32[B, 2, 8, 8]
  output logits: f32[B, 4]
  logits = image
    |> conv2d(filters: 3, kernel: 3, padding: same) |> relu                      // 3 x 8 x 8
    |> conv2d(filters: 4, kernel: 3, stride: 2, padding: same) |> relu          // 4 x 4 x 4
    |> upsample(scale: 2, mode: bilinear)                                       // 4 x 8 x 8
    |> avgpool(3, stride: 2, padding: 1)                                        // 4 x 4 x 4
    |> conv2d_transpose(filters: 3, kernel: 4, stride: 2, padding: same) |> tanh  // 3 x 8 x 8
    |> maxpool(2) |> upsample(scale: [1, 2]) |> maxpool(2)                      // 3 x 2 x 4
    |> flatten |> dropout(0.3) |> dense(4)
}
train Mixed {
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 0.01)
  batch     = 4
  seed      = 3
  metrics   = [accuracy(logits, label)]
}
`;

test('strided conv, bilinear/nearest upsample, avgpool, conv2d_transpose, maxpool, dropout: 3 adam steps agree', async () => {
  const model = compileModel(IMAGE_OPS, 'mixed.dnn');
  const ops = new Set(model.train!.step.nodes.map((n) => n.op));
  for (const op of ['conv2d_backprop_filter', 'conv2d_backprop_input', 'avgpool2d_grad', 'maxpool2d_grad', 'upsample2d_grad', 'conv2d_transpose', 'random_uniform'])
    assert.ok(ops.has(op), `the training step uses ${op}`);
  await trainAndCompare(model, 'image', [2, 8, 8], 4, 3, 3);
});

test('random_uniform / random_normal gpu.js source: the cpu bits for seeds and steps of every sign and size', () => {
  const f32 = Math.fround;
  const cases: [number, number, number][] = [
    [0, 0, 0],
    [5.7, 3, 12345],
    [-7.9, 99, -7],
    [123456789, -2147483648, 2147483647],
    [-1, -65536, 65536],
    [3e9, -3e9, 1],
    [-0.5, 4294967296 + 5, -1],
  ];
  for (const [seed, step, salt] of cases) {
    const ctx = { in: ['in0', 'in1'], out: 0, attrs: { salt, mean: 0, std: 1 } } as unknown as GpujsKernelContext;
    const uniform = new Function('in0', 'in1', 'i', randomUniformGpujs(ctx)) as (a: number[], b: number[], i: number) => number;
    const normal = new Function('in0', 'in1', 'i', randomNormalGpujs(ctx)) as (a: number[], b: number[], i: number) => number;
    const key = randomKey(f32(seed), f32(step), salt);
    for (const i of [0, 1, 2, 255, 256, 65535, 65536, 65537, 1000003, 16777215]) {
      const label = `seed ${seed}, step ${step}, salt ${salt}, element ${i}`;
      assert.is(uniform([f32(step)], [f32(seed)], i), randomAt(key, i), label);
      assertClose([normal([f32(step)], [f32(seed)], i)], [normalAt(key, i)], `normal ${label}`, 1e-6);
    }
  }
});

test('a model whose op lacks a gpu.js kernel is refused, naming it', async () => {
  const def = getOp('avgpool2d');
  const table = gpujsRenderers as Record<string, GpujsRenderer | undefined>;
  const saved = table['avgpool2d'];
  delete table['avgpool2d'];
  try {
    const s = def.samples[0];
    const model = oneNodeModel(def, s.inputs.map((i) => i.shape), s.inputs.map((i) => i.dtype ?? 'f32'), s.attrs);
    assert.equal(missingGpujs(model).map((m) => m.op), ['avgpool2d']);
    await instantiate(programFromModel(model), GJ).then(
      () => assert.unreachable('instantiate should refuse'),
      (e: Error) => assert.match(e.message, 'cannot run on the gpujs backend: no gpu.js kernel for op(s) avgpool2d'),
    );
  } finally {
    table['avgpool2d'] = saved;
  }
});

test('examples/mnist now passes the gpujs backend check; without a conv2d kernel it gets a located diagnostic', () => {
  const file = 'examples/mnist/mnist.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  assert.equal(backendDiagnostics(res.file!, 'gpujs'), []);
  const table = gpujsRenderers as Record<string, GpujsRenderer | undefined>;
  const saved = table['conv2d'];
  delete table['conv2d'];
  try {
    const d = backendDiagnostics(res.file!, 'gpujs');
    assert.is(d.length, 1, d.map((x) => x.message).join('; '));
    assert.ok(d[0].message.includes("'conv2d'"), d[0].message);
    assert.is(d[0].code, 'DNN0030');
  } finally {
    table['conv2d'] = saved;
  }
});

test.run();
