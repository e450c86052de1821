import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildBatch, evaluateDataset, fitModel, mapFields } from '../../runtime/train.js';
import type { Dataset, Model, Signature, StepResult, Tensor, TensorInput } from '../../runtime/types.js';

const signature: Signature = {
  inputs: [{ name: 'x', dtype: 'f32', shape: ['B', 2] }],
  outputs: [{ name: 'y', dtype: 'f32', shape: ['B', 1] }],
  trainInputs: [{ name: 'label', dtype: 'i32', shape: ['B'] }],
};

/** n samples; sample i has features [i, -i] and label i % 3 */
function dataset(n: number, featureName = 'x'): Dataset {
  const x = new Float32Array(n * 2);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    label[i] = i % 3;
  }
  return { name: 'toy', size: n, fields: { [featureName]: { dtype: 'f32', sampleShape: [2], data: x }, label: { dtype: 'i32', sampleShape: [], data: label } } };
}

/** A Model whose trainStep records the sample ids it saw; loss = mean sample id, metric = batch size. */
const unused = (): never => {
  throw new Error('unused');
};

function fakeModel(opts: { nanAt?: number; sig?: Signature } = {}): Model & { calls: number[][] } {
  const calls: number[][] = [];
  const sig = opts.sig ?? signature;
  const model = {
    name: 'Fake',
    backend: 'cpu' as const,
    signature: sig,
    calls,
    async predict() {
      return {};
    },
    async trainStep(batch: Record<string, TensorInput>): Promise<StepResult> {
      const x = batch[sig.inputs[0].name] as Tensor;
      const lab = batch[sig.trainInputs[0].name] as Tensor;
      assert.is(x.shape[1], 2);
      assert.is(lab.shape.length, 1);
      assert.is(x.shape[0], lab.shape[0]);
      const ids: number[] = [];
      for (let i = 0; i < x.shape[0]; i++) {
        ids.push(x.data[2 * i]);
        assert.is(x.data[2 * i + 1], -x.data[2 * i]);
        assert.is(lab.data[i], x.data[2 * i] % 3);
      }
      calls.push(ids);
      const loss = calls.length === opts.nanAt ? NaN : ids.reduce((a, b) => a + b, 0) / ids.length;
      return { loss, metrics: { size: ids.length } };
    },
    async evaluate(data: Dataset) {
      return { loss: 0.5, acc: data.size };
    },
    async fit() {
      throw new Error('unused');
    },
    getWeights() {
      return {};
    },
    async readWeights() {
      return {};
    },
    setWeights() {},
    saveWeights: unused,
    loadWeights: unused,
    saveCheckpoint: unused,
    loadCheckpoint: unused,
    dispose() {},
  };
  return model as Model & { calls: number[][] };
}

const defaults = { epochs: 2, batchSize: 4, seed: 7 };

test('fit: every sample once per epoch, last batch partial', async () => {
  const m = fakeModel();
  const r = await fitModel(m, dataset(10), { epochs: 3 }, defaults);
  assert.is(r.epochs, 3);
  assert.is(m.calls.length, 9);
  for (let e = 0; e < 3; e++) {
    const epoch = m.calls.slice(e * 3, e * 3 + 3);
    assert.equal(epoch.map((c) => c.length), [4, 4, 2]);
    assert.equal(epoch.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  // shuffled: epochs differ from each other and from the identity
  assert.not.equal(m.calls.slice(0, 3).flat(), m.calls.slice(3, 6).flat());
  assert.not.equal(m.calls.slice(0, 3).flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('fit: shuffling is deterministic for a seed and differs across seeds', async () => {
  const a = fakeModel();
  const b = fakeModel();
  const c = fakeModel();
  await fitModel(a, dataset(50), {}, defaults);
  await fitModel(b, dataset(50), {}, defaults);
  await fitModel(c, dataset(50), {}, { ...defaults, seed: 8 });
  assert.equal(a.calls, b.calls);
  assert.not.equal(a.calls, c.calls);
});

test('fit: shuffle: false keeps the order', async () => {
  const m = fakeModel();
  await fitModel(m, dataset(5), { shuffle: false, epochs: 1, batchSize: 2 }, defaults);
  assert.equal(m.calls, [[0, 1], [2, 3], [4]]);
});

test('fit: epoch loss and metrics are means weighted by batch size; validation is prefixed', async () => {
  const m = fakeModel();
  const epochs: number[] = [];
  const r = await fitModel(m, dataset(10), { epochs: 1, validation: dataset(6), onEpoch: (e) => void epochs.push(e.epoch) }, defaults);
  // weighted mean of the batch means = mean sample id = 4.5
  assert.ok(Math.abs(r.history[0].loss - 4.5) < 1e-9);
  // metric "size" weighted by size: (4*4 + 4*4 + 2*2) / 10
  assert.ok(Math.abs(r.history[0].metrics.size - 3.6) < 1e-9);
  assert.is(r.history[0].metrics.val_loss, 0.5);
  assert.is(r.history[0].metrics.val_acc, 6);
  assert.equal(r.metrics, { loss: 0.5, acc: 6 });
  assert.equal(epochs, [1]);
  assert.ok(r.seconds >= 0);
});

test('fit: without validation the final metrics are the training ones', async () => {
  const r = await fitModel(fakeModel(), dataset(10), { epochs: 1 }, defaults);
  assert.ok(Math.abs(r.metrics.loss - 4.5) < 1e-9);
  assert.ok('size' in r.metrics);
});

test('fit: onBatch reports progress and returning false stops', async () => {
  const m = fakeModel();
  const seen: string[] = [];
  const r = await fitModel(
    m,
    dataset(10),
    {
      epochs: 5,
      onBatch: (p) => {
        seen.push(`${p.epoch}/${p.epochs} ${p.batch}/${p.batches} step ${p.step}`);
        assert.ok(p.samplesPerSecond >= 0);
        return p.step === 4 ? false : undefined;
      },
    },
    defaults,
  );
  assert.equal(seen, ['1/5 1/3 step 1', '1/5 2/3 step 2', '1/5 3/3 step 3', '2/5 1/3 step 4']);
  assert.is(m.calls.length, 4);
  assert.is(r.epochs, 2);
});

test('fit: onEpoch returning false stops', async () => {
  const r = await fitModel(fakeModel(), dataset(10), { epochs: 5, onEpoch: (e) => (e.epoch === 2 ? false : undefined) }, defaults);
  assert.is(r.epochs, 2);
});

test('fit: a NaN loss stops with the step named, unless continueOnNaN', async () => {
  try {
    await fitModel(fakeModel({ nanAt: 5 }), dataset(10), { epochs: 3 }, defaults);
    assert.unreachable('expected an error');
  } catch (e) {
    assert.is((e as Error).name, 'TrainError');
    assert.is((e as Error).message, 'loss became NaN at step 5 (epoch 2, batch 2); lower the learning rate, or keep going with the fit option continueOnNaN (dnnc train --continue-on-nan)');
  }
  const m = fakeModel({ nanAt: 5 });
  const r = await fitModel(m, dataset(10), { epochs: 3, continueOnNaN: true }, defaults);
  assert.is(m.calls.length, 9);
  assert.ok(Number.isNaN(r.history[1].loss));
});

test('mapping: a single unmatched input takes the single non-label field', async () => {
  const m = fakeModel();
  await fitModel(m, dataset(6, 'features'), { epochs: 1 }, defaults);
  assert.is(m.calls.flat().length, 6);
  const map = mapFields(signature, dataset(6, 'features'));
  assert.equal(map, { x: 'features', label: 'label' });
});

test('mapping: label feeds a differently named single train input, converted to its dtype', () => {
  const sig: Signature = { ...signature, trainInputs: [{ name: 'target', dtype: 'f32', shape: ['B'] }] };
  const d = dataset(4);
  const map = mapFields(sig, d);
  assert.equal(map, { x: 'x', target: 'label' });
  const b = buildBatch(sig, d, map, [3, 1]);
  assert.ok(b.target.data instanceof Float32Array);
  assert.equal(Array.from(b.target.data), [0, 1]);
  assert.equal(b.x.shape, [2, 2]);
  assert.equal(Array.from(b.x.data), [3, -3, 1, -1]);
});

test('mapping: errors list the fields the data set has and the inputs the model needs', async () => {
  const sig: Signature = {
    inputs: [
      { name: 'a', dtype: 'f32', shape: ['B', 2] },
      { name: 'b', dtype: 'f32', shape: ['B', 2] },
    ],
    outputs: [],
    trainInputs: [{ name: 'label', dtype: 'i32', shape: ['B'] }],
  };
  try {
    await fitModel(fakeModel({ sig }), dataset(4, 'features'), {}, defaults);
    assert.unreachable('expected an error');
  } catch (e) {
    const msg = (e as Error).message;
    assert.is((e as Error).name, 'TrainError');
    assert.match(msg, /does not provide 'a', 'b'/);
    assert.match(msg, /features: f32\[N, 2\], label: i32\[N\]/);
    assert.match(msg, /a: f32\[B, 2\], b: f32\[B, 2\], label: i32\[B\]/);
  }
});

test('mapping: a field whose sample shape does not fit the input is an error', () => {
  const sig: Signature = { ...signature, inputs: [{ name: 'x', dtype: 'f32', shape: ['B', 3] }] };
  try {
    mapFields(sig, dataset(4));
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /field 'x' of toy has samples of shape \[2\], but 'x' is f32\[B, 3\]/);
  }
});

test('fit: bad options and inconsistent data are errors', async () => {
  for (const [opts, re] of [
    [{ batchSize: 0 }, /batchSize must be a positive integer/],
    [{ epochs: 1.5 }, /epochs must be a positive integer/],
  ] as const) {
    try {
      await fitModel(fakeModel(), dataset(4), opts, defaults);
      assert.unreachable('expected an error');
    } catch (e) {
      assert.match((e as Error).message, re);
    }
  }
  const bad = dataset(4);
  bad.size = 5;
  try {
    await fitModel(fakeModel(), bad, {}, defaults);
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /holds 8 values, but 5 samples/);
  }
});

test('evaluateDataset: sequential batches, means weighted by count', async () => {
  const seen: number[][] = [];
  const r = await evaluateDataset(
    async (batch) => {
      const x = batch.x;
      const ids = Array.from({ length: x.shape[0] }, (_, i) => x.data[2 * i]);
      seen.push(ids);
      return { loss: ids.reduce((a, b) => a + b, 0) / ids.length, metrics: { acc: ids.length === 4 ? 1 : 0 }, count: ids.length };
    },
    signature,
    dataset(10),
    4,
  );
  assert.equal(seen, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.ok(Math.abs(r.loss - 4.5) < 1e-9);
  assert.ok(Math.abs(r.acc - 0.8) < 1e-9);
});

test.run();
