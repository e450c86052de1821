/**
 * "A warm step allocates nothing" (runtime/backends/cpu.ts): a LeNet-5
 * (examples/mnist/mnist.dnn) Adam step on the cpu backend, after warm-up
 * steps, constructs no typed array and no array buffer, with the JS kernels
 * and with the wasm kernels. Kernel scratch (im2col and packing panels,
 * reduction temporaries, split partials) is planned memory, like any
 * temporary.
 *
 * The Adam update itself writes the params and optimizer state in place.
 *
 * Counted: every typed-array and (Shared)ArrayBuffer construction through the
 * globals (the kernels name them at call time), `from`/`of`, and the
 * prototype methods that make a new array or view (slice, subarray, map,
 * filter). Views are counted too: a warm step makes none (the backends build
 * them when a binding is created). The step runs on the calling thread
 * (threads: 1): worker threads run in other isolates, whose globals this
 * hook does not see; the kernels they run are the same functions.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { instantiate } from '../../runtime/index.js';
import type { Model } from '../../runtime/types.js';

const FILE = 'examples/mnist/mnist.dnn';
const B = 8;

const CTORS = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'ArrayBuffer', 'SharedArrayBuffer'] as const;
const METHODS = ['slice', 'subarray', 'map', 'filter'] as const;

/** Run `fn` with every typed-array allocation counted; returns the counts by kind. */
async function counting(fn: () => Promise<void>): Promise<Record<string, number>> {
  const g = globalThis as unknown as Record<string, unknown>;
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const saved = new Map<string, unknown>();
  const proto = Object.getPrototypeOf(Int8Array.prototype) as Record<string, unknown>;
  const savedMethods = new Map<string, unknown>();
  for (const name of CTORS) {
    const C = g[name] as (new (...a: unknown[]) => unknown) & Record<string, unknown>;
    if (typeof C !== 'function') continue;
    saved.set(name, C);
    g[name] = new Proxy(C, {
      construct(target, args, newTarget) {
        bump(`new ${name}`);
        return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
      },
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if ((key === 'from' || key === 'of') && typeof v === 'function')
          return (...a: unknown[]) => {
            bump(`${name}.${key}`);
            return (v as (...x: unknown[]) => unknown).apply(target, a);
          };
        return v;
      },
    });
  }
  for (const m of METHODS) {
    const f = proto[m] as (...a: unknown[]) => unknown;
    savedMethods.set(m, f);
    proto[m] = function (this: unknown, ...a: unknown[]) {
      bump(`.${m}`);
      return f.apply(this, a);
    };
  }
  try {
    await fn();
  } finally {
    for (const [name, C] of saved) g[name] = C;
    for (const [m, f] of savedMethods) proto[m] = f;
  }
  return counts;
}

function images(seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: B * 28 * 28 }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32));
}

function labels(seed: number): Int32Array {
  return Int32Array.from({ length: B }, (_, i) => (seed * 7 + i * 3) % 10);
}

function lenet() {
  const res = compileSource(readFileSync(FILE, 'utf8'), FILE);
  assert.equal(res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return programFromModel(res.file!.models.find((m) => m.train)!);
}

/** The counts of one warm step: run straight on the backend's prepared entry, inputs already typed arrays. */
async function warmStep(model: Model): Promise<Record<string, number>> {
  const step = (model as unknown as { entries: { trainStep: { prepared: { run(d: Record<string, number>, i: Map<string, unknown>, h?: Record<string, number>): unknown } } } }).entries.trainStep.prepared;
  const inputs = new Map<string, unknown>([
    ['image', images(3)],
    ['label', labels(3)],
  ]);
  const hyper = { lr: 1e-3, step: 3, seed: 1 };
  for (let k = 0; k < 2; k++) await model.trainStep({ image: { data: images(k), shape: [B, 1, 28, 28] }, label: labels(k) });
  await step.run({ B }, inputs, hyper);
  return counting(async () => {
    await step.run({ B }, inputs, { ...hyper, step: 4 });
  });
}

for (const kernels of ['js', 'wasm'] as const) {
  test(`LeNet-5 on cpu (${kernels} kernels): a warm train step allocates no typed array`, async () => {
    const model = await instantiate(lenet(), { backend: 'cpu', threads: 1, seed: 1, cpu: { kernels } });
    try {
      const counts = await warmStep(model);
      assert.equal(counts, {}, `allocations in one warm step: ${JSON.stringify(counts)}`);
    } finally {
      model.dispose();
    }
  });
}

test('LeNet-5 Adam step: params and optimizer state are updated in place (no temporary, no copy)', () => {
  const step = lenet().entries.trainStep!;
  assert.ok(step.updates.length > 0);
  for (const u of step.updates) {
    const b = step.buffers[u.buffer];
    assert.ok((b.kind === 'param' || b.kind === 'state') && b.ref === u.path, `update of ${u.path} is written to ${b.kind} ${b.ref ?? ''}`);
  }
  // the step writing them reads them: one kernel, in place
  const writers = step.steps.filter((s) => s.outs.some((o) => step.updates.some((u) => u.buffer === o)));
  assert.is(writers.length, 1);
  for (const u of step.updates) assert.ok(writers[0].ins.includes(u.buffer), `${u.path} is read by the kernel that updates it`);
});

test.run();
