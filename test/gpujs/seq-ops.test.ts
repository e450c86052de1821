/**
 * gather, scatter_add and iota on gpujs (gpu.js cpu mode) against cpu at the
 * shapes the registry samples miss (see test/webgpu/seq-ops.ts): many
 * indices, out-of-range ids, symbolic dims. A bad id in gather is clamped on
 * the GPU (the cpu backend reports it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import type { CreateOptions } from '../../runtime/types.js';
import { assertClose } from './helpers.js';
import { gatherBadIds, seqOpCases } from '../webgpu/seq-ops.js';

const GJ: CreateOptions = { backend: 'gpujs', gpujs: { mode: 'cpu' } };

for (const c of seqOpCases())
  test(`gpujs = cpu: ${c.name}`, async () => {
    const program = programFromModel(c.model);
    const cpu = await instantiate(program, { backend: 'cpu' });
    const gj = await instantiate(program, GJ);
    try {
      assert.is(gj.backend, 'gpujs');
      const want = await cpu.predict(c.feed);
      const got = await gj.predict(c.feed);
      for (const k of Object.keys(want)) {
        assert.equal(got[k].shape, want[k].shape, `${k}: shape`);
        assert.is(got[k].dtype, want[k].dtype, `${k}: dtype`);
        // gpu.js's cpu mode adds in float64 before the f32 store: the same order, other rounding
        if (want[k].dtype !== 'f32') assert.equal(Array.from(got[k].data), Array.from(want[k].data), `${k}: exactly the cpu's values`);
        else assertClose(got[k].data, want[k].data, k, 1e-5);
      }
    } finally {
      cpu.dispose();
      gj.dispose();
    }
  });

test('gather: an id outside the vocabulary is clamped on gpujs and reported on cpu', async () => {
  const { model, feed, clamped } = gatherBadIds();
  const program = programFromModel(model);
  const cpu = await instantiate(program, { backend: 'cpu' });
  const gj = await instantiate(program, GJ);
  try {
    try {
      await cpu.predict(feed);
      assert.unreachable('the cpu backend should report the id');
    } catch (e) {
      assert.match((e as Error).message, "token id -3 at position 1 of 'tokens' is outside the vocabulary [0, 5)");
    }
    assert.equal(Array.from((await gj.predict(feed)).y0.data), Array.from(clamped));
  } finally {
    cpu.dispose();
    gj.dispose();
  }
});

test.run();
