/**
 * Our wasm matmul against TF.js wasm (XNNPACK) on one thread, interleaved
 * call by call in one process and timed by CPU time, so both sides see the
 * same machine load: on a shared machine the separate timings of
 * bench/cpu.bench.ts drift apart by more than the difference measured.
 *
 *   node --import tsx bench/matmul-interleaved.ts [--n=1024] [--calls=12]
 *
 * Prints each side's median CPU milliseconds and GFLOP/s, and the ratio
 * TF.js wasm / ours (> 1: ours is faster).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileSource } from '../compiler/compile.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { Rng } from '../runtime/data/random.js';
import { instantiate } from '../runtime/index.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => Number(argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const n = opt('n', 1024);
const calls = opt('calls', 12);

async function main(): Promise<void> {
  const src = `model MatMul {\n  input a: f32[${n}, ${n}]\n  input b: f32[${n}, ${n}]\n  output y: f32[${n}, ${n}]\n  y = a @ b\n}\n`;
  const res = compileSource(src, 'matmul.dnn');
  if (!res.file) throw new Error(res.diagnostics.map((d) => d.message).join('\n'));
  const model = await instantiate(programFromModel(res.file.models[0]), { seed: 1, threads: 1, cpu: { kernels: 'wasm' } });
  const rng = new Rng(7);
  const a = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const b = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const inputs = { a: { data: a, shape: [n, n] }, b: { data: b, shape: [n, n] } };
  // TF.js greets on the console when a backend starts
  const { log, warn } = console;
  console.log = console.warn = () => {};
  await tf.setBackend('wasm');
  await tf.ready();
  Object.assign(console, { log, warn });
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  const sides = {
    ours: async () => void (await model.predict(inputs)),
    'tfjs wasm': async () => {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    },
  };
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const times: Record<string, number[]> = { ours: [], 'tfjs wasm': [] };
  for (const fn of Object.values(sides)) await fn(); // warm-up
  for (let i = 0; i < calls; i++)
    for (const [name, fn] of Object.entries(sides)) {
      const t0 = cpuMs();
      await fn();
      times[name].push(cpuMs() - t0);
    }
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
  const gflop = (2 * n ** 3) / 1e9;
  for (const [name, t] of Object.entries(times)) process.stdout.write(`${name.padEnd(10)} ${median(t).toFixed(1)} ms of CPU time (median of ${calls}), ${(gflop / (median(t) / 1000)).toFixed(1)} GFLOP/s\n`);
  process.stdout.write(`tfjs wasm / ours: ${(median(times['tfjs wasm']) / median(times.ours)).toFixed(2)}\n`);
  model.dispose();
  ta.dispose();
  tb.dispose();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
