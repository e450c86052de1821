/**
 * Whole models on gpujs (gpu.js cpu mode in Node) against cpu:
 * examples/mlp and a small hand-written model predict the same, 5 Adam
 * steps give the same losses and weights, weights stay on the device
 * (getWeights after training asks for readWeights), setWeights reaches the
 * device, several batch sizes (kernels per binding), evaluate; the generated
 * module embeds the gpu.js kernels; a model whose ops lack a gpu.js kernel is
 * refused with the ops named; 'auto' never picks gpu.js's cpu mode.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { emitModule } from '../../codegen/module/emit.js';
import { hasGpujs, missingGpujs } from '../../codegen/gpujs/index.js';
import { allOps } from '../../compiler/ops/index.js';
import { instantiate } from '../../runtime/index.js';
import type { CreateOptions, Model } from '../../runtime/types.js';
import type { Program } from '../../runtime/program.js';
import { assertClose, oneNodeModel, rng } from './helpers.js';
import { compareLogic, compileModel, floats, labels, LOGIC, SMALL } from '../helpers/cross-backend.js';

const GJ: CreateOptions = { backend: 'gpujs', gpujs: { mode: 'cpu' } };

async function pair(program: Program): Promise<[Model, Model]> {
  return [await instantiate(program, { backend: 'cpu', seed: 7 }), await instantiate(program, { ...GJ, seed: 7 })];
}

async function trainAndCompare(model: CompiledModel, inDim: number, classes: number, input: string, B: number): Promise<void> {
  const [cpu, gj] = await pair(programFromModel(model));
  try {
    assert.is(gj.backend, 'gpujs');
    const x = floats(B * inDim, 1);
    const p1 = await cpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    const p2 = await gj.predict({ [input]: { data: x, shape: [B, inDim] } });
    for (const k of Object.keys(p1)) assertClose(p2[k].data, p1[k].data, `predict ${k}`);
    const lc: number[] = [];
    const lg: number[] = [];
    const mc: number[] = [];
    const mg: number[] = [];
    for (let s = 0; s < 5; s++) {
      const batch = { [input]: { data: floats(B * inDim, 10 + s), shape: [B, inDim] }, label: labels(B, classes, 20 + s) };
      const rc = await cpu.trainStep(batch);
      const rg = await gj.trainStep(batch);
      lc.push(rc.loss);
      lg.push(rg.loss);
      mc.push(...Object.values(rc.metrics));
      mg.push(...Object.values(rg.metrics));
    }
    assertClose(lg, lc, 'losses of 5 adam steps', 1e-4);
    assertClose(mg, mc, 'metrics of 5 adam steps', 1e-4);
    assert.throws(() => gj.getWeights(), /readWeights/);
    const wc = cpu.getWeights();
    const wg = await gj.readWeights();
    for (const path of Object.keys(wc)) assertClose(wg[path], wc[path], `weights ${path}`, 1e-4);
    const q1 = await cpu.predict({ [input]: { data: x, shape: [B, inDim] } });
    const q2 = await gj.predict({ [input]: { data: x, shape: [B, inDim] } });
    for (const k of Object.keys(q1)) assertClose(q2[k].data, q1[k].data, `predict after training ${k}`);
  } finally {
    cpu.dispose();
    gj.dispose();
  }
}

test('examples/mlp: predict and 5 adam steps agree on cpu and gpujs', async () => {
  const file = 'examples/mlp/mlp.dnn';
  await trainAndCompare(compileModel(readFileSync(file, 'utf8'), file), 8, 2, 'features', 16);
});

test('a hand-written model (sigmoid, relu, softmax): predict and 5 adam steps agree', async () => {
  await trainAndCompare(compileModel(SMALL, 'small.dnn'), 6, 3, 'x', 8);
});

test('comparisons, logic, where, dim(B) and predict noise (per call, per seed) agree with cpu', async () => {
  const [cpu, gj] = await pair(programFromModel(compileModel(LOGIC, 'logic.dnn')));
  try {
    await compareLogic(cpu, gj, (g, w, l) => assertClose(g, w, l));
  } finally {
    cpu.dispose();
    gj.dispose();
  }
});

test('setWeights reaches the device; evaluate and several batch sizes', async () => {
  const [cpu, gj] = await pair(programFromModel(compileModel(SMALL, 'small.dnn')));
  try {
    const w = cpu.getWeights();
    for (const k of Object.keys(w)) w[k] = floats(w[k].length, 99, 0.5);
    cpu.setWeights(w);
    gj.setWeights(w);
    for (const B of [1, 3, 8, 3]) {
      const x = floats(B * 6, B);
      assertClose((await gj.predict({ x: { data: x, shape: [B, 6] } })).y.data, (await cpu.predict({ x: { data: x, shape: [B, 6] } })).y.data, `B=${B}`);
    }
    const data = { name: 'd', size: 10, fields: { x: { dtype: 'f32' as const, sampleShape: [6], data: floats(60, 5) }, label: { dtype: 'i32' as const, sampleShape: [], data: labels(10, 3, 6) } } };
    const e1 = await cpu.evaluate(data, { batchSize: 4 });
    const e2 = await gj.evaluate(data, { batchSize: 4 });
    assertClose([e2.loss, ...Object.values(e2)], [e1.loss, ...Object.values(e1)], 'evaluate');
  } finally {
    cpu.dispose();
    gj.dispose();
  }
});

test('the generated module embeds gpu.js kernels and create({ backend: gpujs }) predicts like cpu', async () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const out = join(root, 'test/.out/gpujs');
  mkdirSync(out, { recursive: true });
  const file = 'examples/mlp/mlp.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  const { files } = emitModule(res.file!, { emit: 'ts', sourceName: 'mlp_gpujs_gen', runtimeImport: '../../../runtime/index.js' });
  const text = files[0].text;
  assert.match(text, /\/\*\* gpu\.js: matmul \+ add .*\*\/\nconst k\d+_\w+_gpujs: GpujsKernelSpec = \{/);
  assert.match(text, /gpujs: \{ k\d+\w*: k\d+\w*_gpujs/);
  assert.match(text, /@\{B\}/);
  const path = join(out, files[0].name);
  writeFileSync(path, text);
  const mod = (await import(pathToFileURL(path).href)) as { create(o?: CreateOptions): Promise<Model> };
  const cpu = await mod.create({ seed: 3, backend: 'cpu' });
  const gj = await mod.create({ seed: 3, ...GJ });
  try {
    const next = rng(9);
    const features = { data: Float32Array.from({ length: 40 }, () => next() * 2 - 1), shape: [5, 8] };
    assertClose((await gj.predict({ features })).logits.data, (await cpu.predict({ features })).logits.data, 'logits');
  } finally {
    cpu.dispose();
    gj.dispose();
  }
});

// refusing a model whose op lacks a gpu.js kernel: test/gpujs/conv-models.test.ts (it removes a renderer for the test)

test("'auto' does not pick gpujs in gpu.js's cpu or webasm mode", async () => {
  const program = programFromModel(compileModel(SMALL, 'small.dnn'));
  const m = await instantiate(program, { backend: 'auto', gpujs: { mode: 'cpu' } });
  try {
    assert.is.not(m.backend, 'gpujs');
  } finally {
    m.dispose();
  }
});

test('token ids outside the vocabulary are refused before the kernels run (gather would clamp on a GPU)', async () => {
  const { compileSource } = await import('../../compiler/compile.js');
  const { programFromModel } = await import('../../codegen/module/plan-model.js');
  const { instantiate } = await import('../../runtime/index.js');
  const r = compileSource(`model E { input ids: i32[B, 4]  output y: f32[B, 4, 3]  y = embedding(ids, vocab: 65, dim: 3) }`, 'e.dnn');
  const m = await instantiate(programFromModel(r.file!.models[0]), { backend: 'gpujs', gpujs: { mode: 'cpu' } });
  await m.predict({ ids: { data: Int32Array.of(1, 2, 3, 70), shape: [1, 4] } }).then(
    () => assert.unreachable('no error for token id 70'),
    (e: Error) => assert.match(e.message, "token id 70 at position 3 of 'ids' is outside the vocabulary [0, 65)"),
  );
  m.dispose();
});

test.run();
