/**
 * Fusion differential test on WebGPU: random graphs (fast-check) compiled
 * with fusion and buffer reuse run on webgpu, compiled without them run on
 * the cpu; results agree within the f32 tolerance of the cross-backend tests.
 * Few runs: SwiftShader compiles shaders slowly.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import { build, fuzzInputs, step } from '../helpers/random-graphs.js';
import { assertClose, haveWebGpu } from './helpers.js';

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

test.run();
