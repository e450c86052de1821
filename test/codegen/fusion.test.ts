/**
 * Fusion differential tests: random graphs of registry ops (fast-check)
 * compiled with and without fusion and memory reuse give the same results
 * on the CPU, with the JS kernels and with the wasm kernels. Fused loops
 * round every f32 intermediate like a store would, so the results must be
 * identical, not merely close; the wasm kernels stay within 1e-5 of the JS
 * ones.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { fuseGraph } from '../../compiler/passes/fuse.js';
import { instantiate } from '../../runtime/index.js';
import { build, fuzzInputs, step } from '../helpers/random-graphs.js';

for (const kernels of ['js', 'wasm'] as const)
test(`random graphs: fused and unfused CPU programs compute identical results (${kernels} kernels)`, async () => {
  const inputs = fuzzInputs;
  let fusedSomething = 0;
  const opts = { seed: 1, cpu: { kernels } };
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 14 }), fc.array(fc.nat(), { maxLength: 2 }), async (steps, outs) => {
      const model = build(steps, outs);
      const plan = fuseGraph(model.predict);
      if (plan.groups.some((grp) => grp.nodes.length > 1)) fusedSomething++;
      const fused = await instantiate(programFromModel(model), opts);
      const plain = await instantiate(programFromModel(model, { fuse: false, reuse: false }), opts);
      const a = await fused.predict(inputs);
      const b = await plain.predict(inputs);
      if (kernels === 'wasm') {
        // and the wasm kernels agree with the JS kernels
        const js = await instantiate(programFromModel(model), { seed: 1, cpu: { kernels: 'js' } });
        const c = await js.predict(inputs);
        for (const name of Object.keys(c))
          for (let i = 0; i < c[name].data.length; i++) {
            const p = a[name].data[i];
            const q = c[name].data[i];
            if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)) || Math.abs(p - q) <= 1e-5 * Math.max(1, Math.abs(q)))) throw new Error(`${name}[${i}]: wasm ${p} vs js ${q}`);
          }
        js.dispose();
      }
      for (const name of Object.keys(b)) {
        assert.equal(a[name].shape, b[name].shape);
        for (let i = 0; i < b[name].data.length; i++) {
          const p = a[name].data[i];
          const q = b[name].data[i];
          if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)))) throw new Error(`${name}[${i}]: fused ${p} vs unfused ${q}`);
        }
      }
      fused.dispose();
      plain.dispose();
    }),
    { numRuns: 60, seed: 20261126 },
  );
  assert.ok(fusedSomething > 20, `only ${fusedSomething} of 60 random graphs fused anything`);
});

for (const kernels of ['js', 'wasm'] as const)
test(`a model compiled with and without fusion trains identically (same weights, same losses; ${kernels} kernels)`, async () => {
  const { compileSource } = await import('../../compiler/compile.js');
  const r = compileSource(
    `model M { input x: f32[B, 6]  output y: f32[B, 3]  y = x |> dense(8) |> relu |> layernorm |> dense(3) }
     train M { label: i32[B]  loss = cross_entropy(y, label)  optimizer = adam(lr: 0.01) }`,
    'm.dnn',
  );
  const m = r.file!.models[0];
  const fused = await instantiate(programFromModel(m), { seed: 4, cpu: { kernels } });
  const plain = await instantiate(programFromModel(m, { fuse: false, reuse: false }), { seed: 4, cpu: { kernels } });
  const batch = { x: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), label: Int32Array.from([0, 1, 2, 1]) };
  for (let s = 0; s < 5; s++) {
    const a = await fused.trainStep(batch);
    const b = await plain.trainStep(batch);
    assert.is(a.loss, b.loss, `step ${s + 1}`);
  }
  const wa = fused.getWeights();
  const wb = plain.getWeights();
  for (const k of Object.keys(wb)) assert.equal(Array.from(wa[k]), Array.from(wb[k]), k);
});

test.run();
