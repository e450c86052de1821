/**
 * gather, scatter_add and iota on webgpu against cpu at the shapes the
 * registry samples miss (see seq-ops.ts): several scan tiles, out-of-range
 * ids, symbolic dims; scatter_add adds in the cpu's order, so its sums are
 * equal bit for bit. A bad id in gather is clamped on the GPU (the cpu
 * backend reports it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { assertClose, haveWebGpu } from './helpers.js';
import { gatherBadIds, seqOpCases } from './seq-ops.js';

for (const c of seqOpCases())
  test(`webgpu = cpu: ${c.name}`, async () => {
    if (!(await haveWebGpu())) return;
    const program = programFromModel(c.model);
    const cpu = await instantiate(program, { backend: 'cpu' });
    const gpu = await instantiate(program, { backend: 'webgpu' });
    try {
      assert.is(gpu.backend, 'webgpu');
      const want = await cpu.predict(c.feed);
      const got = await gpu.predict(c.feed);
      for (const k of Object.keys(want)) {
        assert.equal(got[k].shape, want[k].shape, `${k}: shape`);
        assert.is(got[k].dtype, want[k].dtype, `${k}: dtype`);
        if (c.exact || want[k].dtype !== 'f32') assert.equal(Array.from(got[k].data), Array.from(want[k].data), `${k}: exactly the cpu's values`);
        else assertClose(got[k].data, want[k].data, k, 1e-6);
      }
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  });

test('gather: an id outside the vocabulary is clamped on webgpu and reported on cpu', async () => {
  if (!(await haveWebGpu())) return;
  const { model, feed, clamped } = gatherBadIds();
  const program = programFromModel(model);
  const cpu = await instantiate(program, { backend: 'cpu' });
  const gpu = await instantiate(program, { backend: 'webgpu' });
  try {
    try {
      await cpu.predict(feed);
      assert.unreachable('the cpu backend should report the id');
    } catch (e) {
      assert.match((e as Error).message, "token id -3 at position 1 of 'tokens' is outside the vocabulary [0, 5)");
    }
    assert.equal(Array.from((await gpu.predict(feed)).y0.data), Array.from(clamped));
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

test.run();
