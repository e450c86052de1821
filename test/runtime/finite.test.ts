/**
 * The NaN policy: non-finite values flow through a model as IEEE arithmetic
 * says (relu(NaN) is NaN, as in PyTorch; relu(-Infinity) is 0), on the CPU
 * and gpu.js backends alike (webgpu: test/webgpu/finite-webgpu.test.ts);
 * predict's opt-in checkFinite names the first non-finite input, or else
 * output, and the element.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { relu } from '../../compiler/ops/unary.js';
import { NonFiniteError, instantiate } from '../../runtime/index.js';
import type { CreateOptions } from '../../runtime/types.js';

const SOURCE = `model Act {
  input x: f32[B, 4]
  output y: f32[B, 4]
  output e: f32[B, 4]
  y = relu(x * 2)
  e = exp(x)
}
`;

function program() {
  const r = compileSource(SOURCE, 'act.dnn');
  assert.equal(r.diagnostics, []);
  return programFromModel(r.file!.models[0]);
}

const x = new Float32Array([NaN, -1, 1.5, Infinity, -Infinity, 0, -0, 2]);
const backends: [string, CreateOptions][] = [
  ['cpu', { backend: 'cpu' }],
  ['gpujs', { backend: 'gpujs', gpujs: { mode: 'cpu' } }],
];

test('the reference: relu(NaN) is NaN, relu(-Infinity) and relu(-0) are 0', () => {
  const f = (v: number) => relu.reference([{ dtype: 'f32', shape: [1], data: new Float64Array([v]) }], {}, {})[0].data[0];
  assert.ok(Number.isNaN(f(NaN)));
  assert.is(f(-Infinity), 0);
  assert.ok(Object.is(f(-0), 0));
  assert.is(f(Infinity), Infinity);
  assert.is(f(-3), 0);
});

for (const [name, options] of backends) {
  test(`${name}: NaN and Infinity flow through relu as IEEE arithmetic says`, async () => {
    const m = await instantiate(program(), options);
    const { y } = await m.predict({ x });
    assert.ok(Number.isNaN(y.data[0]), `relu(2 NaN) is ${y.data[0]}`);
    assert.equal(Array.from(y.data.subarray(1)), [0, 3, Infinity, 0, 0, 0, 4]);
    m.dispose();
  });
}

test('checkFinite names the first non-finite input and its element, before running', async () => {
  const m = await instantiate(program());
  const bad = new Float32Array([1, 2, 3, 4, 5, 6, -Infinity, 8]);
  const e = await m.predict({ x: bad }, { checkFinite: true }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.instance(e, NonFiniteError);
  const n = e as NonFiniteError;
  assert.is(n.message, "model 'Act': input 'x' is not finite at [1, 2]: -Infinity (checkFinite)");
  assert.equal([n.role, n.tensor, n.index, n.value], ['input', 'x', [1, 2], -Infinity]);
  // nested arrays too; and the model still answers afterwards
  const nested = await m.predict({ x: [[1, 2, 3, NaN]] }, { checkFinite: true }).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  assert.match(nested?.message ?? 'no error', /input 'x' is not finite at \[0, 3\]: NaN/);
  const ok = await m.predict({ x: [[0, 0, 0, 0]] }, { checkFinite: true });
  assert.equal(Array.from(ok.e.data), [1, 1, 1, 1]);
  m.dispose();
});

test('checkFinite names the first non-finite output when every input is finite (exp overflows f32)', async () => {
  const m = await instantiate(program());
  const err = await m.predict({ x: [[0, 1, 100, 2]] }, { checkFinite: true }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.instance(err, NonFiniteError);
  assert.match(err!.message, /^model 'Act': output 'e' is not finite at \[0, 2\]: Infinity though every input is finite/);
  // without it the value comes out as it is
  const { e } = await m.predict({ x: [[0, 1, 100, 2]] });
  assert.is(e.data[2], Infinity);
  m.dispose();
});

test.run();
