/**
 * Where the time of one step goes: every kernel of a model's trainStep (or
 * predict) is wrapped with a timer, the step runs `--steps` times after a
 * warm-up, and the kernels are printed by total time, then summed by op
 * (the last part of the kernel name: matmul, conv2d, add, ...).
 *
 *   npm run bench:profile -- bench/models/lenet5.dnn [--entry=predict] [--steps=20] [--cpu] [--threads=N] [--kernels=js|wasm]
 *
 * --cpu times with process.cpuUsage() (this process's CPU time, all its
 * threads) instead of the wall clock: on a shared, loaded machine it is much
 * steadier. --threads: the CPU backend's threads (default: its default, 2
 * on 2 cores; DNNC_THREADS works too). A threaded kernel call is timed
 * whole, from its first phase to its last (all threads' chunks in between).
 *
 * --kernels: the CPU backend's kernels (default: its default, wasm where
 * available); wasm kernel calls are timed by the backend's kernelTimer hook.
 *
 * The inputs are the first 64 images of mnist(split: train); the model's
 * input must be image: f32[B, 1, 28, 28] or f32[B, 784].
 */
import { readFileSync } from 'node:fs';
import { compileSource } from '../compiler/compile.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { mnist } from '../runtime/data/mnist.js';
import { instantiate } from '../runtime/index.js';
import type { KernelFn, Program, SplitKernelFn } from '../runtime/program.js';
import { kernelTimer } from '../runtime/backends/cpu-wasm.js';

const BATCH = 64;
/** kernel name pattern -> the kind of work it is (first match wins; names end with the op) */
const KINDS: [RegExp, string][] = [
  [/conv2d_backprop_filter$/, 'conv2d backward (filter)'],
  [/conv2d_backprop_input$/, 'conv2d backward (input)'],
  [/conv2d$/, 'conv2d forward'],
  [/matmul$/, 'matmul (dense, fwd + bwd)'],
  [/maxpool2d(_grad)?$/, 'maxpool (fwd + bwd)'],
  [/(reduce_\w+|softmax|argmax|one_hot)$/, 'reductions, softmax, argmax'],
];
const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--')) ?? 'bench/models/lenet5.dnn';
const entryName = (argv.find((a) => a.startsWith('--entry='))?.slice(8) ?? 'trainStep') as 'trainStep' | 'predict';
/** --cpu: time kernels by this process's CPU time (user + system) instead of wall time: steadier on a shared machine */
const cpuClock = argv.includes('--cpu');
const now = cpuClock ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
const steps = Number(argv.find((a) => a.startsWith('--steps='))?.slice(8) ?? 20);
const threadsArg = argv.find((a) => a.startsWith('--threads='))?.slice(10);
const kernelsArg = argv.find((a) => a.startsWith('--kernels='))?.slice(10) as 'js' | 'wasm' | undefined;

async function main(): Promise<void> {
  const res = compileSource(readFileSync(file, 'utf8'), file);
  if (!res.file) throw new Error(res.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  const model = res.file.models[0];
  const program: Program = programFromModel(model);
  const entry = program.entries[entryName];
  if (!entry) throw new Error(`${file} has no ${entryName} entry`);

  const total = new Map<string, number>();
  const calls = new Map<string, number>();
  let timing = false;
  const started = new Map<string, number>();
  const add = (name: string, ms: number) => {
    total.set(name, (total.get(name) ?? 0) + ms);
    calls.set(name, (calls.get(name) ?? 0) + 1);
  };
  for (const [name, k] of Object.entries(entry.kernels)) {
    const fn = k as SplitKernelFn;
    // a split kernel's part passes through: a threaded call is its parts before, rows (chunks), after
    const wrapped: SplitKernelFn = (ins, outs, dims, run) => {
      if (!timing || kernelTimer.record || (run && run.part !== 'before' && run.part !== 'after')) return fn(ins, outs, dims, run);
      if (run?.part === 'before') started.set(name, now());
      const t0 = now();
      fn(ins, outs, dims, run);
      if (!run) add(name, now() - t0);
      else if (run.part === 'after') add(name, now() - started.get(name)!);
    };
    // the workers run the kernel itself (its source), not this wrapper
    entry.kernels[name] = Object.assign(wrapped, { kernel: k }) as unknown as KernelFn;
  }
  const m = await instantiate(program, { seed: 1, ...(threadsArg !== undefined ? { threads: Number(threadsArg) } : {}), ...(kernelsArg ? { cpu: { kernels: kernelsArg } } : {}) });
  const kernels = (m as unknown as { impl?: { kernels?: string } }).impl?.kernels ?? 'js';
  // wasm entries time whole calls themselves (the JS wrappers above would see only the phases around a wasm kernel)
  if (kernels === 'wasm') {
    timing = false;
    kernelTimer.now = now;
    kernelTimer.record = (name, ms) => {
      if (timing) add(name, ms);
    };
  }
  const d = mnist({ split: 'train' });
  const flat = model.inputs[0].shape.length === 2;
  const image = { data: d.fields.image.data.slice(0, BATCH * 784), shape: flat ? [BATCH, 784] : [BATCH, 1, 28, 28] };
  const label = { data: d.fields.label.data.slice(0, BATCH), shape: [BATCH] };
  const run = () => (entryName === 'trainStep' ? m.trainStep({ image, label }) : m.predict({ image }));
  for (let i = 0; i < 3; i++) await run();
  timing = true;
  const t0 = now();
  for (let i = 0; i < steps; i++) await run();
  const wall = (now() - t0) / steps;
  timing = false;
  kernelTimer.record = undefined;
  m.dispose();

  const perStep = [...total].map(([k, v]) => ({ kernel: k, ms: v / steps })).sort((a, b) => b.ms - a.ms);
  const inKernels = perStep.reduce((s, k) => s + k.ms, 0);
  const byOp = new Map<string, number>();
  for (const k of perStep) {
    const kind = KINDS.find(([re]) => re.test(k.kernel))?.[1] ?? 'elementwise, optimizer, other';
    byOp.set(kind, (byOp.get(kind) ?? 0) + k.ms);
  }
  const pct = (x: number) => `${((100 * x) / wall).toFixed(1)}%`.padStart(6);
  process.stdout.write(`${file} ${entryName}, batch ${BATCH}, ${(m as unknown as { impl?: { threads?: number } }).impl?.threads ?? 1} thread(s), ${kernels} kernels: ${wall.toFixed(2)} ms${cpuClock ? ' of CPU time' : ''} per call (mean of ${steps}), ${entry.steps.length} kernel calls, ${inKernels.toFixed(2)} ms in kernels\n\n`);
  process.stdout.write('by op:\n');
  for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${op.padEnd(30)} ${ms.toFixed(3).padStart(9)} ms ${pct(ms)}\n`);
  process.stdout.write(`  ${'(outside kernels)'.padEnd(30)} ${(wall - inKernels).toFixed(3).padStart(9)} ms ${pct(wall - inKernels)}\n\ntop kernels:\n`);
  for (const k of perStep.slice(0, 15)) process.stdout.write(`  ${k.kernel.padEnd(40)} ${k.ms.toFixed(3).padStart(9)} ms ${pct(k.ms)}\n`);
}

main().catch((e) => {
  process.stderr.write(`profile failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
