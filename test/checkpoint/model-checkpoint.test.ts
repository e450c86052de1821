/**
 * Weights and checkpoints through the runtime API (cpu backend): what a file
 * holds and how it is named, loading into fresh models and trainers, one
 * Error listing every mismatch with nothing loaded, and resumed fits that
 * equal uninterrupted ones bit for bit (cosine schedule, mid-epoch stops).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel, programFromTrainer } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledFile } from '../../compiler/compiled.js';
import { instantiate, instantiateTrainer, readSafetensors, writeSafetensors, paramsHash, DNNC_VERSION } from '../../runtime/index.js';
import type { Dataset, Model, Trainer, Weights } from '../../runtime/types.js';

function compiled(src: string): CompiledFile {
  const r = compileSource(src, 'm.dnn', { verify: true });
  assert.equal(r.diagnostics.map((d) => d.message), []);
  return r.file!;
}

// a small CNN with batchnorm (model state) trained with Adam (optimizer state) and a cosine schedule
const NET = `
model Net {
  input  x: f32[B, 1, 6, 6]
  output logits: f32[B, 3]
  logits = x |> conv2d(filters: 4, kernel: 3) |> batchnorm |> relu |> flatten |> dense(3)
}
train Net {
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 1e-2)
  schedule  = cosine(warmup: 3)
  batch     = 8
  epochs    = 3
  metrics   = [accuracy(logits, label)]
}`;
const netFile = compiled(NET);
const netProgram = programFromModel(netFile.models[0]);
const net = (seed = 1): Promise<Model> => instantiate(netProgram, { seed });

function data(n: number, seed = 5): Dataset {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: n * 36 }, next);
  const label = Int32Array.from({ length: n }, (_, i) => Math.floor(x[i * 36] * 3));
  return { name: 'toy', size: n, fields: { x: { dtype: 'f32', sampleShape: [1, 6, 6], data: x }, label: { dtype: 'i32', sampleShape: [], data: label } } };
}
const toy = data(44); // 6 batches of 8, the last partial

async function rejects(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`resolved; expected an Error matching ${message}`);
}

const sameWeights = (a: Weights, b: Weights, label: string) => {
  assert.equal(Object.keys(a).sort(), Object.keys(b).sort(), `${label}: names`);
  for (const k of Object.keys(a)) assert.equal(Array.from(a[k]), Array.from(b[k]), `${label}: ${k}`);
};

test('a weights file holds the parameters and the model state by path, with the metadata the docs list', async () => {
  const m = await net();
  await m.fit(toy, { epochs: 1 });
  const file = readSafetensors(await m.saveWeights());
  const names = [...file.tensors.keys()];
  assert.equal(names.sort(), Object.keys(m.getWeights()).sort());
  assert.ok(names.includes('Net.conv2d_1.weight') && names.includes('Net.batchnorm_1.running_mean'), names.join(', '));
  assert.not.ok(names.some((n) => n.startsWith('optimizer/')));
  const w = m.getWeights();
  for (const [k, t] of file.tensors) assert.equal(Array.from(t.data), Array.from(w[k]), k);
  assert.is(file.metadata.format, 'dnnc');
  assert.is(file.metadata.format_version, '1');
  assert.is(file.metadata.dnnc_version, DNNC_VERSION);
  assert.is(file.metadata.model, 'Net');
  assert.is(file.metadata.kind, 'weights');
  const spec = [...netProgram.params, ...(netProgram.state ?? [])].map((p) => ({ name: p.path, spec: p }));
  assert.is(file.metadata.params_hash, paramsHash(spec));
  m.dispose();
});

test('a checkpoint adds the optimizer state under optimizer/ and the training position', async () => {
  const m = await net(7);
  await m.fit(toy, { epochs: 2 });
  const file = readSafetensors(await m.saveCheckpoint());
  const opt = [...file.tensors.keys()].filter((n) => n.startsWith('optimizer/'));
  assert.equal(opt.sort(), netProgram.train!.state.map((s) => `optimizer/${s.path}`).sort());
  assert.ok(opt.includes('optimizer/Net.dense_1.weight.m') && opt.includes('optimizer/Net.dense_1.weight.v'), opt.join(', '));
  const md = file.metadata;
  assert.equal(
    { kind: md.kind, step: md.step, epoch: md.epoch, batch: md.batch, epochs: md.epochs, batch_size: md.batch_size, samples: md.samples, seed: md.seed },
    { kind: 'checkpoint', step: '12', epoch: '2', batch: '0', epochs: '2', batch_size: '8', samples: '44', seed: '7' },
  );
  assert.equal(JSON.parse(md.optimizer).kind, 'adam');
  assert.equal(JSON.parse(md.schedule).kind, 'cosine');
  m.dispose();
});

test('loadWeights and create({ weights: bytes }) give a fresh model the same predictions', async () => {
  const a = await net(3);
  await a.fit(toy, { epochs: 2 });
  const bytes = await a.saveWeights();
  const x = toy.fields.x.data.subarray(0, 5 * 36);
  const want = (await a.predict({ x })).logits.data;
  const b = await net(99);
  b.loadWeights(bytes);
  assert.equal(Array.from((await b.predict({ x })).logits.data), Array.from(want));
  const c = await instantiate(netProgram, { weights: bytes.slice().buffer });
  assert.equal(Array.from((await c.predict({ x })).logits.data), Array.from(want));
  // a checkpoint loads as weights too (its optimizer state is not needed for that)
  const d = await net(98);
  d.loadWeights(await a.saveCheckpoint());
  sameWeights(d.getWeights(), a.getWeights(), 'checkpoint as weights');
  for (const m of [a, b, c, d]) m.dispose();
});

test('every mismatch in ONE Error, and nothing loaded', async () => {
  const m = await net(4);
  const before = m.getWeights();
  const good = readSafetensors(await m.saveWeights());
  const tensors = [...good.tensors]
    .filter(([n]) => n !== 'Net.dense_1.bias') // missing
    .map(([name, t]) => {
      if (name === 'Net.dense_1.weight') return { name, dtype: t.dtype, shape: [3, t.shape[0]], data: t.data }; // wrong shape
      if (name === 'Net.conv2d_1.bias') return { name, dtype: 'I32' as const, shape: t.shape, data: Int32Array.from(t.data) }; // wrong dtype
      return { name, dtype: t.dtype, shape: t.shape, data: t.data.map((v: number) => v + 1) as typeof t.data };
    });
  tensors.push({ name: 'Other.w', dtype: 'F32', shape: [2], data: new Float32Array(2) }); // unexpected
  const bytes = writeSafetensors(tensors, { model: 'Other' });
  try {
    m.loadWeights(bytes, { source: 'bad.safetensors' });
    assert.unreachable('loaded');
  } catch (e) {
    const msg = (e as Error).message;
    assert.is((e as Error).name, 'WeightsError');
    assert.match(msg, /^bad\.safetensors does not fit model 'Net' \(the file was written for 'Other'\): 4 mismatches/);
    assert.match(msg, /missing Net\.dense_1\.bias \(expected F32\[3\]\)/);
    assert.match(msg, /wrong shape: Net\.dense_1\.weight is F32\[3, 64\], expected F32\[64, 3\]/);
    assert.match(msg, /wrong dtype: Net\.conv2d_1\.bias is I32\[4\], expected F32\[4\]/);
    assert.match(msg, /unexpected Other\.w \(F32\[2\]\)/);
  }
  sameWeights(m.getWeights(), before, 'no partial load');
  // allowExtra ignores tensors of other models, not missing ones
  const extra = writeSafetensors([...[...good.tensors].map(([name, t]) => ({ name, ...t })), { name: 'Other.w', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
  m.loadWeights(extra, { allowExtra: true });
  assert.throws(() => m.loadWeights(extra), /unexpected Other\.w/);
  m.dispose();
});

test('loadCheckpoint refuses a weights file, naming what to do instead', async () => {
  const m = await net(4);
  const weights = await m.saveWeights();
  assert.throws(() => m.loadCheckpoint(weights, { source: 'w.safetensors' }), (e: Error) => /w\.safetensors does not fit model 'Net'.*it is a weights file: load it with loadWeights/s.test(e.message) && /missing optimizer\/Net\.dense_1\.weight\.m/.test(e.message));
  m.dispose();
});

test('resume equals an uninterrupted fit bit for bit: stopped after an epoch, and in the middle of one (cosine schedule)', async () => {
  const full = await net(11);
  await full.fit(toy, { epochs: 3 });
  const want = full.getWeights();
  const wantCkpt = await full.saveCheckpoint();
  full.dispose();

  for (const stopAt of [{ epoch: 1, batch: 6 }, { epoch: 2, batch: 2 }]) {
    const first = await net(11);
    await first.fit(toy, { epochs: 3, onBatch: (p) => (p.epoch === stopAt.epoch && p.batch === stopAt.batch ? false : undefined) });
    const ckpt = await first.saveCheckpoint();
    first.dispose();
    const second = await net(12345); // another seed: the checkpoint's wins
    const info = second.loadCheckpoint(ckpt);
    assert.equal([info.epoch, info.batch], stopAt.batch === 6 ? [1, 0] : [1, 2], 'position');
    await second.fit(toy, { epochs: info.epochs, initialEpoch: info.epoch, initialBatch: info.batch });
    sameWeights(second.getWeights(), want, `resumed after epoch ${stopAt.epoch} batch ${stopAt.batch}`);
    // optimizer state and metadata too
    assert.equal(Array.from(await second.saveCheckpoint()), Array.from(wantCkpt), 'the resumed run writes the same checkpoint');
    second.dispose();
  }
});

test('fit refuses a resume point outside the run', async () => {
  const m = await net();
  await rejects(m.fit(toy, { epochs: 2, initialEpoch: 3 }), /initialEpoch must be an integer from 0 to epochs \(2\)/);
  await rejects(m.fit(toy, { epochs: 2, initialEpoch: 1, initialBatch: 6 }), /initialBatch must be an integer from 0 to 5/);
  m.dispose();
});

test('an aborted fit stops after the batch in progress and says so', async () => {
  const m = await net();
  const abort = new AbortController();
  const r = await m.fit(toy, { epochs: 3, signal: abort.signal, onBatch: (p) => void (p.step === 8 && abort.abort()) });
  assert.ok(r.interrupted);
  assert.is(r.epochs, 1, 'the cut epoch is not reported');
  const info = readSafetensors(await m.saveCheckpoint()).metadata;
  assert.equal([info.step, info.epoch, info.batch], ['8', '1', '2']);
  m.dispose();
});

test('the version written into files is the package\'s', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.is(DNNC_VERSION, pkg.version);
});

// ---------------------------------------------------------------- trainers

const GAN = `
model G { input z: f32[B, 4]  output x: f32[B, 2]  x = z |> dense(8) |> batchnorm |> relu |> dense(2) }
model D { input x: f32[B, 2]  output s: f32[B, 1]  s = x |> dense(8) |> leaky_relu(0.2) |> dense(1) }
train GAN {
  real : f32[B, 2]
  batch = 8
  epochs = 2
  step disc {
    loss = bce_with_logits(D(real), ones) + bce_with_logits(D(stop_gradient(G(noise(B, 4)))), zeros)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on D
  }
  step gen {
    loss = bce_with_logits(D(G(noise(B, 4))), ones)
    optimizer = adam(lr: 1e-2, beta1: 0.5) on G
  }
  sync G -> GEMA every 1 steps tau: 0.1
}`;
const ganFile = compiled(GAN);
const gan = (seed = 1, weights?: Uint8Array): Promise<Trainer> =>
  instantiateTrainer(programFromTrainer(ganFile.trainers![0], ganFile.models), { seed, ...(weights ? { weights } : {}) });
const ring: Dataset = { name: 'ring', size: 36, fields: { real: { dtype: 'f32', sampleShape: [2], data: Float32Array.from({ length: 72 }, (_, i) => Math.sin(i * 0.7)) } } };

test('a trainer checkpoint holds every model (the EMA copy included), every step\'s optimizer state and step count; resume is exact', async () => {
  const full = await gan(2);
  await full.fit(ring, { epochs: 2 });
  const want = full.getWeights();
  full.dispose();

  const first = await gan(2);
  await first.fit(ring, { epochs: 2, onBatch: (p) => (p.step === 3 ? false : undefined) });
  const bytes = await first.saveCheckpoint();
  first.dispose();
  const file = readSafetensors(bytes);
  const names = [...file.tensors.keys()];
  for (const prefix of ['G.', 'D.', 'GEMA.', 'optimizer/G.', 'optimizer/D.']) assert.ok(names.some((n) => n.startsWith(prefix)), `${prefix} in ${names.join(', ')}`);
  assert.ok(names.includes('GEMA.batchnorm_1.running_var'), 'the EMA copy carries batchnorm statistics');
  assert.equal(JSON.parse(file.metadata.step_counts), { disc: 3, gen: 3 });

  const second = await gan(77);
  const info = second.loadCheckpoint(bytes);
  await second.fit(ring, { epochs: 2, initialEpoch: info.epoch, initialBatch: info.batch });
  sameWeights(second.getWeights(), want, 'resumed trainer');
  // weights alone start a trainer's models where they were
  const w = await second.saveWeights();
  const third = await gan(5, w);
  sameWeights(third.getWeights(), want, 'create({ weights }) of a trainer');
  second.dispose();
  third.dispose();
});

test.run();
