/** Train blocks over several models and steps (GAN), and syncs between models (DQN). */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';

const models = `
model Generator { input z: f32[B, 8]  output sample: f32[B, 2]  sample = z |> dense(16) |> relu |> dense(2) }
model Discriminator { input x: f32[B, 2]  output score: f32[B, 1]  score = x |> dense(16) |> leaky_relu(0.2) |> dense(1) }
`;
const gan = `${models}
train GAN {
  data = loans(split: train)
  z : f32[B, 8]
  step discriminator {
    loss = bce_with_logits(Discriminator(data.features[:, :2]), ones) + bce_with_logits(Discriminator(Generator(z)), zeros)
    optimizer = adam(lr: 2e-4, beta1: 0.5) on Discriminator
  }
  step generator {
    loss = bce_with_logits(Discriminator(Generator(z)), ones)
    optimizer = adam(lr: 2e-4, beta1: 0.5) on Generator
  }
}`;

function compile(src: string) {
  return compileSource(src, 'gan.dnn', { verify: true });
}
const codes = (src: string) => compile(src).diagnostics.map((d) => d.code);

test('a GAN: each step updates only the models it names, reading the others', () => {
  const r = compile(gan);
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const [t] = r.file!.trainers!;
  assert.is(t.name, 'GAN');
  assert.equal(t.models.sort(), ['Discriminator', 'Generator']);
  assert.equal(t.steps.map((s) => [s.name, s.trains]), [['discriminator', ['Discriminator']], ['generator', ['Generator']]]);
  const updated = (i: number) => [...new Set(t.steps[i].graph.updates.map((u) => u.path.split('.')[0]))];
  assert.equal(updated(0), ['Discriminator']);
  assert.equal(updated(1), ['Generator']);
  // both steps read both models' weights (the same paths as the models' own)
  const params = (i: number) => t.steps[i].graph.nodes.filter((n) => n.op === 'param').map((n) => String(n.attrs.path)).sort();
  assert.equal(params(0), params(1));
  assert.ok(params(0).includes('Generator.dense_1.weight') && params(0).includes('Discriminator.dense_2.bias'));
  // data.features became an input of the step that uses it
  assert.equal(t.steps[0].inputs.map((i) => i.name).sort(), ['features', 'z']);
  assert.equal(t.steps[1].inputs.map((i) => i.name), ['z']);
  // optimizer state is per step
  assert.ok(t.steps[0].state.every((s) => s.path.includes('.discriminator.')));
});

test('a model called twice in one step shares its weights', () => {
  const r = compile(gan);
  const d = r.file!.trainers![0].steps[0].graph;
  assert.is(d.nodes.filter((n) => n.op === 'param' && n.attrs.path === 'Discriminator.dense_1.weight').length, 1);
});

test('DQN: sync to an undeclared target makes a second instance of the architecture', () => {
  const r = compile(`model QNet { input obs: f32[B, 4]  output q: f32[B, 2]  q = obs |> dense(32) |> relu |> dense(2) }
    train DQN on QNet { action: i32[B]  target: f32[B]  loss = huber(q[action], target)  optimizer = adam(lr: 1e-3)
      sync QNet -> QNetTarget every 500 steps }`);
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const f = r.file!;
  assert.equal(f.models.map((m) => m.name), ['QNet', 'QNetTarget']);
  assert.equal(f.models[1].params.map((p) => p.path), ['QNetTarget.dense_1.weight', 'QNetTarget.dense_1.bias', 'QNetTarget.dense_2.weight', 'QNetTarget.dense_2.bias']);
  const [t] = f.trainers!;
  assert.equal(t.syncs, [
    {
      from: 'QNet',
      to: 'QNetTarget',
      every: 500,
      pairs: [
        { from: 'QNet.dense_1.weight', to: 'QNetTarget.dense_1.weight' },
        { from: 'QNet.dense_1.bias', to: 'QNetTarget.dense_1.bias' },
        { from: 'QNet.dense_2.weight', to: 'QNetTarget.dense_2.weight' },
        { from: 'QNet.dense_2.bias', to: 'QNetTarget.dense_2.bias' },
      ],
    },
  ]);
  assert.equal(t.steps.map((s) => s.inputs.map((i) => i.name)), [['obs', 'action', 'target']]);
});

test('soft updates take tau; bad sync values and different architectures are diagnostics', () => {
  const q = `model QNet { input obs: f32[B, 4]  output q: f32[B, 2]  q = obs |> dense(32) |> relu |> dense(2) }
    model Small { input obs: f32[B, 4]  output q: f32[B, 2]  q = obs |> dense(2) }`;
  const block = (sync: string) => `${q}\ntrain DQN on QNet { action: i32[B]  target: f32[B]  loss = huber(q[action], target)\n  ${sync} }`;
  assert.is(compile(block('sync QNet -> QNetTarget every 1 steps tau: 0.005')).file!.trainers![0].syncs[0].tau, 0.005);
  assert.equal(codes(block('sync QNet -> Small every 10 steps')), ['DNN0022']);
  assert.equal(codes(block('sync QNet -> QNetTarget every 0 steps')), ['DNN0022']);
  assert.equal(codes(block('sync QNet -> QNetTarget every 1 steps tau: 2')), ['DNN0022']);
  assert.equal(codes(block('sync QNett -> QNetTarget every 10 steps')), ['DNN0013']);
});

test('steps must name the models they train; unknown models and misplaced calls are diagnostics', () => {
  assert.equal(codes(`${models} train G { z: f32[B, 8]  step s { loss = mean(Generator(z)) } }`), ['DNN0020']);
  assert.equal(codes(`${models} train G { z: f32[B, 8]  step s { loss = mean(Generator(z))  optimizer = sgd() on Generatr } }`), ['DNN0013']);
  assert.equal(codes(`${models} model M { input z: f32[B, 8]  output y: f32[B, 2]  y = Generator(z) }`), ['DNN0017']);
  assert.equal(codes(`${models} train G { data = loans(split: train)  step s { loss = mean(Discriminator(data.featurez[:, :2]))  optimizer = sgd() on Discriminator } }`), ['DNN0003']);
  assert.equal(codes(`${models} train G { step s { loss = mean(Discriminator(zeros[B, 3]))  optimizer = sgd() on Discriminator } }`), ['DNN0007']);
});

test('a step that only draws noise takes its batch size from the data; without data it is a diagnostic', () => {
  const src = (data: string) => `${models}
train GAN {
  ${data}
  step d { loss = bce_with_logits(Discriminator(Generator(noise(B, 8))), zeros)  optimizer = sgd() on Discriminator }
}`;
  const r = compile(src('data = loans(split: train)'));
  assert.equal(r.diagnostics.map((d) => d.message), []);
  assert.equal(r.file!.trainers![0].steps[0].inputs.map((i) => i.name), ['features']);
  const bad = compile(src(''));
  assert.equal(bad.diagnostics.map((d) => d.code), ['DNN0011']);
  assert.match(bad.diagnostics[0].message, /no input of step 'd' has it/);
});

test('a sync carries model state too (batchnorm running statistics)', () => {
  const r = compile(`model N { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(4) |> batchnorm |> dense(2) }
    train T on N { t: f32[B, 2]  loss = mse(y, t)  sync N -> NAvg every 1 steps tau: 0.01 }`);
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const f = r.file!;
  const stateFrom = f.models[0].state.map((s) => s.path);
  assert.ok(stateFrom.length >= 2);
  const pairs = f.trainers![0].syncs[0].pairs.map((p) => p.from);
  for (const s of stateFrom) assert.ok(pairs.includes(s), `${s} is synced`);
});

test('scalar expressions in metrics report under the function that computed them', () => {
  const r = compile(`model A { input x: f32[B, 4]  output y: f32[B, 4]  y = x |> dense(4) }
    train A { t: f32[B, 4]  loss = mse(y, t)  metrics = [mae(y, t), mse(y, t), mean(y)] }`);
  assert.equal(r.file!.models[0].train!.metrics.map((m) => m.name), ['mae', 'mse', 'mean']);
});

test.run();
