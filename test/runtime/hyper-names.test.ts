/**
 * The runtime feeds its own scalars (lr, step, seed: inputs of role 'hyper')
 * by name beside the caller's inputs. A model or train input may carry one of
 * those names: it stays its own input. A train step whose labels are named
 * `lr`, `step` or `seed` computes exactly what it computes with them named
 * `label`, on every kernel set of the CPU backend.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';

const source = (label: string) => `model M {
  input  x: f32[B, 6]
  output logits: f32[B, 3]
  logits = x |> dense(8) |> relu |> dense(3)
}

train M {
  ${label} : i32[B]
  loss      = cross_entropy(logits, ${label})
  optimizer = adam(lr: 1e-2)
}
`;

async function losses(label: string, kernels: 'js' | 'wasm'): Promise<number[]> {
  const r = compileSource(source(label), 'm.dnn');
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), [], `${label}: compiles`);
  const model = await instantiate(programFromModel(r.file!.models[0]), { seed: 3, backend: 'cpu', threads: 1, cpu: { kernels } });
  const x = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i));
  const y = Int32Array.from([0, 2, 1, 2]);
  const out: number[] = [];
  for (let s = 0; s < 3; s++) out.push((await model.trainStep({ x, [label]: y })).loss);
  model.dispose();
  return out;
}

for (const kernels of ['js', 'wasm'] as const)
  test(`labels named lr, step or seed train as labels named label (${kernels} kernels)`, async () => {
    const want = await losses('label', kernels);
    assert.ok(want[2] < want[0], `the loss falls: ${want.join(', ')}`);
    for (const name of ['lr', 'step', 'seed']) assert.equal(await losses(name, kernels), want, name);
  });

test.run();
