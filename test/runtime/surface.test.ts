/**
 * The generated module's runtime surface under arbitrary arguments
 * (fast-check): predict, trainStep and setWeights get wrong shapes, dtypes,
 * lengths, ragged nesting, non-finite values, odd objects and unknown names.
 * Each call returns the right result (computed here in float64) or throws an
 * Error naming the input or weight at fault; a call that throws changes no
 * weight, nothing hangs, and a later good call gives the same answer as
 * before. A disposed model refuses every call.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiate } from '../../runtime/index.js';
import type { Model, Weights } from '../../runtime/types.js';

const SOURCE = `model P {
  input x: f32[B, 3]
  output y: f32[B, 2]
  y = x |> dense(2) |> relu
}
train P {
  t: f32[B, 2]
  loss = mse(y, t)
  optimizer = sgd(lr: 0.1)
}
`;

async function model(): Promise<Model> {
  const r = compileSource(SOURCE, 'p.dnn');
  assert.equal(r.diagnostics, []);
  return instantiate(programFromModel(r.file!.models[0]), { seed: 3 });
}

/** A call that neither returns nor throws within `ms` is a hang. */
async function settle<T>(p: Promise<T>, ms = 5000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: no answer in ${ms} ms`)), ms)));
  try {
    return { ok: true, value: await Promise.race([p, hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/** The flat values a caller meant by `v` (typed array, nested array, { data, shape }); undefined when it holds no plain numbers. */
function flatValues(v: unknown): number[] | undefined {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) {
    const flat = v.flat(Infinity) as unknown[];
    return flat.every((e) => typeof e === 'number' || typeof e === 'boolean') ? flat.map(Number) : undefined;
  }
  if (v && typeof v === 'object' && 'data' in v) return flatValues((v as { data: unknown }).data);
  return undefined;
}

/** relu(x W + b) in float64 with f32 inputs, one row of 3 per sample. */
function expected(x: number[], w: Weights): number[] {
  const [kw, kb] = Object.keys(w).sort((a, b) => w[b].length - w[a].length); // the kernel (6 values), then the bias (2)
  const W = w[kw];
  const b = w[kb];
  const out: number[] = [];
  for (let i = 0; i < x.length / 3; i++)
    for (let j = 0; j < 2; j++) {
      let s = b[j];
      for (let k = 0; k < 3; k++) s += Math.fround(x[i * 3 + k]) * W[k * 2 + j];
      out.push(s <= 0 ? 0 : s);
    }
  return out;
}

function close(got: ArrayLike<number>, want: number[]): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(b) ? !Number.isNaN(a) : !(a === b || Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)))) return false;
  }
  return true;
}

const sameWeights = (a: Weights, b: Weights) => Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => b[k] && Object.is(a[k].length, b[k].length) && a[k].every((v, i) => Object.is(v, b[k][i])));

const copyWeights = (w: Weights): Weights => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.slice()]));

// ------------------------------------------------------------------ arbitraries

const number = fc.oneof({ weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e39, 3));
const element = fc.oneof({ weight: 8, arbitrary: number }, fc.boolean(), fc.constantFrom<unknown>('1', null, undefined, {}, [1], 2n));
const row = (len: fc.Arbitrary<number>) => len.chain((n) => fc.array(element, { minLength: n, maxLength: n }));
const nested = fc.oneof(
  fc.array(row(fc.constant(3)), { maxLength: 4 }), // well formed, mostly
  fc.array(row(fc.integer({ min: 0, max: 5 })), { maxLength: 4 }), // ragged
  fc.array(element, { maxLength: 12 }), // flat plain array
  fc.array(fc.array(row(fc.constant(3)), { maxLength: 2 }), { maxLength: 2 }), // rank 3
);
const typed = fc.oneof(
  fc.array(number, { maxLength: 12 }).map((a) => Float32Array.from(a)),
  fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 12 }).map((a) => Int32Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((a) => Uint8Array.from(a)),
  fc.array(number, { maxLength: 12 }).map((a) => Float64Array.from(a)),
);
const shape = fc.oneof({ weight: 4, arbitrary: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }) }, fc.constantFrom<unknown>([1.5, 2], [NaN, 3], 'B, 3', null, 6, [2 ** 40, 3]));
const tensorLike = fc.record({ data: fc.oneof(typed, nested, fc.constantFrom<unknown>('abc', null, 7)), shape, dtype: fc.constantFrom(undefined, 'f32', 'i32', 'bool', 'x') }, { requiredKeys: ['data', 'shape'] });
const value = fc.oneof({ weight: 3, arbitrary: nested }, { weight: 3, arbitrary: typed }, { weight: 2, arbitrary: tensorLike }, fc.anything());

/** An inputs object: the named inputs, maybe one missing, maybe an unknown one; sometimes not an object at all. */
const inputs = (names: string[]) =>
  fc.oneof(
    { weight: 9, arbitrary: fc.tuple(fc.tuple(...names.map(() => value)), fc.option(fc.constantFrom(...names)), fc.option(fc.constantFrom('X', 'y', '__proto__', 'constructor'))).map(([vs, drop, extra]) => {
      const o: Record<string, unknown> = {};
      names.forEach((n, i) => n !== drop && (o[n] = vs[i]));
      if (extra !== null) Object.defineProperty(o, extra, { value: 1, enumerable: true });
      return o;
    }) },
    fc.constantFrom<unknown>(null, undefined, 3, 'x', [], [[1, 2, 3]]),
  );

/** The Error of a refused call must name an input of `names` (or the unknown one, or say what the call expects). */
function namesInput(e: unknown, names: string[]): string | undefined {
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  const m = e.message;
  if (names.some((n) => m.includes(`'${n}'`)) || /unknown (batch )?input '/.test(m) || /expects an object of/.test(m)) return undefined;
  return `the error does not name the input: ${e.name}: ${m}`;
}

// ------------------------------------------------------------------ properties

const RUNS = Number(process.env.SURFACE_RUNS ?? 300);

test('predict: the right outputs or an Error naming the input; later calls unaffected', async () => {
  const m = await model();
  const w = m.getWeights();
  const canary = { x: new Float32Array([1, -2, 0.5, 3, 0, -1]) };
  const before = Array.from((await m.predict(canary)).y.data);
  await fc.assert(
    fc.asyncProperty(inputs(['x']), async (given) => {
      const r = await settle(m.predict(given as never));
      if (r.ok) {
        const y = r.value.y;
        const x = flatValues((given as { x: unknown }).x);
        assert.ok(x, 'accepted an input holding non-numbers');
        assert.ok(y.shape.length === 2 && y.shape[1] === 2 && y.shape[0] * 3 === x!.length, `output shape [${y.shape}] for ${x!.length} input values`);
        assert.ok(close(y.data, expected(x!, w)), `wrong outputs ${Array.from(y.data)} for ${x}`);
      } else {
        const why = namesInput(r.error, ['x']);
        assert.not.ok(why, why);
      }
      const after = Array.from((await m.predict(canary)).y.data);
      assert.ok(close(after, before), `a later call changed: ${after} instead of ${before}`);
    }),
    { numRuns: RUNS, seed: 17 },
  );
  m.dispose();
});

test('trainStep: a loss or an Error naming the input; a refused batch changes no weight', async () => {
  const m = await model();
  const start = copyWeights(m.getWeights());
  await fc.assert(
    fc.asyncProperty(inputs(['x', 't']), async (batch) => {
      const r = await settle(m.trainStep(batch as never));
      if (r.ok) {
        assert.type(r.value.loss, 'number');
        m.setWeights(start); // the next case starts from the same weights
      } else {
        const why = namesInput(r.error, ['x', 't']);
        assert.not.ok(why, why);
        assert.ok(sameWeights(m.getWeights(), start), 'a refused batch changed the weights');
      }
      const ok = await m.trainStep({ x: [[1, 2, 3]], t: [[0, 1]] });
      assert.ok(Number.isFinite(ok.loss), `a good batch after it gives the loss ${ok.loss}`);
      m.setWeights(start);
    }),
    { numRuns: RUNS, seed: 18 },
  );
  m.dispose();
});

test('setWeights: all or nothing; an Error names the weight at fault', async () => {
  const m = await model();
  const start = copyWeights(m.getWeights());
  const paths = Object.keys(start);
  const weight = (n: number) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.array(number, { minLength: n, maxLength: n }).map((a) => Float32Array.from(a)) },
      { weight: 2, arbitrary: fc.array(number, { minLength: n, maxLength: n }) },
      fc.array(element, { minLength: n, maxLength: n }),
      fc.array(number, { maxLength: 8 }),
      fc.array(fc.array(number, { maxLength: 3 }), { maxLength: 3 }),
      fc.anything(),
    );
  const given = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(...paths.map((p) => fc.option(weight(start[p].length)))).chain((ws) =>
      fc.option(fc.constantFrom('dense_9.w', '__proto__', 'constructor')).map((extra) => {
        const o: Record<string, unknown> = {};
        paths.forEach((p, i) => ws[i] !== null && (o[p] = ws[i]));
        if (extra !== null) Object.defineProperty(o, extra, { value: [1], enumerable: true });
        return o;
      })) },
    fc.constantFrom<unknown>(null, 3, 'w', []),
  );
  await fc.assert(
    fc.property(given, (ws) => {
      try {
        check(ws);
      } finally {
        m.setWeights(start); // the next case starts from the same weights, whatever this one did
      }
    }),
    { numRuns: RUNS, seed: 19 },
  );
  function check(ws: unknown): void {
      let error: unknown;
      try {
        m.setWeights(ws as never);
      } catch (e) {
        error = e;
      }
      const now = m.getWeights();
      if (error === undefined) {
        for (const [p, v] of Object.entries(ws as Record<string, ArrayLike<number>>)) {
          assert.ok(start[p], `accepted the unknown weight '${p}'`);
          const want = Float32Array.from(Array.from(v as ArrayLike<unknown>, (e) => {
            assert.type(e, 'number', `accepted a non-number in '${p}'`);
            return e as number;
          }));
          assert.ok(want.every((x, i) => Object.is(x, now[p][i])), `'${p}' was not set`);
        }
      } else {
        assert.instance(error, Error);
        const msg = (error as Error).message;
        const keys = ws !== null && typeof ws === 'object' ? Object.keys(ws) : [];
        const named = keys.some((p) => msg.includes(`'${p}'`)) || /setWeights expects an object/.test(msg);
        assert.ok(named, `the error does not name the weight: ${msg}`);
        assert.ok(sameWeights(now, start), 'a refused call changed some weights');
      }
  }
  m.dispose();
});

test('a disposed model refuses every call with an Error naming it', async () => {
  const m = await model();
  m.dispose();
  const calls: [string, () => unknown][] = [
    ['predict', () => m.predict({ x: [[1, 2, 3]] })],
    ['trainStep', () => m.trainStep({ x: [[1, 2, 3]], t: [[0, 1]] })],
    ['setWeights', () => m.setWeights({})],
    ['getWeights', () => m.getWeights()],
    ['saveWeights', () => m.saveWeights()],
  ];
  for (const [name, call] of calls) {
    const r = await settle(Promise.resolve().then(call));
    assert.not.ok(r.ok, `${name} worked on a disposed model`);
    if (!r.ok) assert.match((r.error as Error).message, /model 'P' has been disposed/, name);
  }
});

test('inputs too small for a dim the model subtracts (T - 5) are a DimError naming the input, before any kernel runs', async () => {
  const r = compileSource('model S {\n  input x: f32[T, 4]\n  output y: f32[T - 5, 4]\n  y = x[5:]\n}\n', 's.dnn');
  assert.equal(r.diagnostics, []);
  const m = await instantiate(programFromModel(r.file!.models[0]));
  const bad = await settle(m.predict({ x: new Float32Array(8) }));
  assert.not.ok(bad.ok);
  if (!bad.ok) assert.is((bad.error as Error).message, "model 'S': input 'x' gives T = 2, but the model computes a tensor with the dim T-5 = -3: it needs larger inputs");
  const ok = await m.predict({ x: new Float32Array(24) });
  assert.equal(ok.y.shape, [1, 4]);
  m.dispose();
});

test('an input nested far deeper than its rank is an Error naming it, not a stack overflow', async () => {
  const m = await model();
  let deep: unknown = [1];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const r = await settle(m.predict({ x: deep as never }));
  assert.not.ok(r.ok);
  if (!r.ok) assert.match((r.error as Error).message, /input 'x'/);
  m.dispose();
});

test.run();
