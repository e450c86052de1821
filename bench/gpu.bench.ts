/**
 * GPU benchmarks of the webgpu backend (WGSL kernels through Dawn), with
 * PyTorch on the same GPU as the peer when `python3 -c 'import torch'` works.
 * `npm run bench:gpu` (options below); on the GPU machine bench/gpu-device.sh.
 *
 * Cases:
 *   matmul N       fp32 C = A @ B, N = 1024, 2048, 4096: the program's WGSL matmul
 *                  (bench/gpu-harness.ts runs the entry's passes alone), GFLOP/s = 2N³ / t
 *   elementwise    y = relu(x * 2 + 1) - 0.5 over 256 MiB of f32 (one fused shader), GB/s of
 *                  read + write; next to it the device copy (copyBufferToBuffer) of the same bytes
 *   lenet5 B       bench/models/lenet5.dnn at batch 64 and 256:
 *                  predict / trainStep through the Model API (inputs uploaded, the logits /
 *                  loss read back: what a user's loop pays), and the kernels alone
 *                  (dispatches of the entry, many steps in one encoder), with the
 *                  dispatches per step
 *   check          LeNet-5 on webgpu against cpu (predict, 3 Adam steps): the kernels are right on this GPU
 *   sweep          the matmul sizes again under each tiling of SWEEP_TILINGS (GFLOP/s per tiling; the
 *                  JSON's `sweep`), to choose pickMatmulTiling's rule from measurements
 * Timing: GPU timestamp queries around one compute pass of `iters`
 * repetitions when the adapter has them (matmul, elementwise), else wall time
 * from submit to onSubmittedWorkDone; the Model API cases are wall time
 * (median of calls). The peer: bench/torch_peer.py (CUDA events, TF32 off, eager).
 *
 * Options:
 *   --small            tiny sizes (SwiftShader: a functional check in < 2 minutes; no speed claims)
 *   --only=matmul,elementwise,lenet5,check,sweep
 *   --torch=auto|off|PATH   run bench/torch_peer.py (auto: when torch imports), skip it, or read its JSON from PATH
 *   --out=PATH         JSON there ("-": none); default $OUT/gpu-bench.json when OUT is set,
 *                      else bench/results/<date>T<hhmm>-gpu[-small].json (a new file per run)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSource } from '../compiler/compile.js';
import type { CompiledModel } from '../compiler/compiled.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { overrideMatmulTiling, type MatmulTiling } from '../codegen/wgsl/ops/linalg.js';
import { instantiate } from '../runtime/index.js';
import type { Program } from '../runtime/program.js';
import { freshResultsPath } from './results-path.js';
import { backendGpu, EntryRunner, openGpu, type Gpu, type Timing } from './gpu-harness.js';

// ------------------------------------------------------------ options

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const small = argv.includes('--small');
const only = new Set((opt('only') ?? 'matmul,elementwise,lenet5,check,sweep').split(',').filter(Boolean));
const torchOpt = opt('torch') ?? 'auto';

/** the repository root: the folder above this file's that holds bench/models (bench/ under tsx, dist/bench/ or .device/dist/bench/ compiled) */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'bench', 'models', 'lenet5.dnn'))) return d;
    d = dirname(d);
  }
  throw new Error('cannot find bench/models/lenet5.dnn above ' + fileURLToPath(import.meta.url));
}
const root = repoRoot();
const date = new Date().toISOString().slice(0, 10);
const outPath = opt('out') ?? (process.env.OUT ? join(process.env.OUT, 'gpu-bench.json') : freshResultsPath(join(root, 'bench', 'results'), small ? 'gpu-small' : 'gpu'));

// the SwiftShader Vulkan driver when no other is named (as test/webgpu/helpers.ts)
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';

const SIZES = small
  ? { matmul: [32, 64, 128], rows: 256, batches: [2, 4], calls: 2, stepIters: 1 }
  : { matmul: [1024, 2048, 4096], rows: 65536, batches: [64, 256], calls: 30, stepIters: 50 };
const COLS = 1024; // elementwise: rows x 1024 f32 (65536 rows: 256 MiB)

// ------------------------------------------------------------ helpers

function compile(source: string, file: string): CompiledModel {
  const res = compileSource(source, file);
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${file}: ${errors.map((d) => d.message).join('; ')}`);
  return res.file!.models.find((m) => m.train) ?? res.file!.models[0];
}

const ms = (t: Timing) => t.gpuMs ?? t.wallMs;
const how = (t: Timing) => (t.gpuMs !== undefined ? 'timestamps' : 'wall');
const fmt = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x < 1e-3 ? x.toExponential(1) : x.toPrecision(d));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  case: string;
  unit: string;
  ours: number | undefined;
  peer?: number;
  /** ours relative to the peer, oriented so that > 1 means dnnc is better */
  ratio?: number;
  target?: string;
  detail: Record<string, unknown>;
}
const rows: Row[] = [];

// ------------------------------------------------------------ the PyTorch peer

interface TorchPeer {
  error?: string;
  torch?: string;
  device?: string;
  matmul?: { n: number; ms: number; gflops: number }[];
  elementwise?: { one_pass_gbps: number; eager_chain_gbps: number; eager_chain_ms: number; one_pass_ms: number };
  copy?: { gbps: number };
  lenet5?: { batch: number; train_ms: number; train_sync_ms: number; predict_ms: number }[];
}

function torchPeer(): TorchPeer {
  if (torchOpt === 'off') return { error: 'skipped (--torch=off)' };
  if (torchOpt !== 'auto') return JSON.parse(readFileSync(torchOpt, 'utf8')) as TorchPeer;
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { error: `python3 -c 'import torch' failed: ${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}` };
  const run = spawnSync('python3', [join(root, 'bench', 'torch_peer.py'), ...(small ? ['--small'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchPeer;
  } catch {
    return { error: `torch_peer.py printed no JSON (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

// ------------------------------------------------------------ cases

async function matmul(gpu: Gpu, peer: TorchPeer): Promise<void> {
  for (const n of SIZES.matmul) {
    const src = `model MM {\n  input a: f32[${n}, ${n}]\n  input b: f32[${n}, ${n}]\n  output y: f32[${n}, ${n}]\n  y = a @ b\n}\n`;
    const entry = programFromModel(compile(src, `matmul${n}.dnn`)).entries.predict;
    const r = new EntryRunner(gpu, entry, {});
    await r.init();
    const iters = small ? 2 : Math.max(5, Math.round(2e11 / (2 * n ** 3)));
    const t = await r.time(iters);
    const dispatches = r.dispatchCount;
    r.destroy();
    const gflops = (2 * n ** 3) / (ms(t) * 1e-3) / 1e9;
    const p = peer.matmul?.find((m) => m.n === n)?.gflops;
    rows.push({
      case: `matmul ${n}³ fp32`,
      unit: 'GFLOP/s',
      ours: gflops,
      peer: p,
      ratio: p ? gflops / p : undefined,
      target: n === 4096 ? '≥ 0.8 of cuBLAS fp32' : n === 1024 ? '≥ 0.6 of cuBLAS fp32' : undefined,
      detail: { ms: ms(t), timing: how(t), wallMs: t.wallMs, iters, dispatches },
    });
  }
}

/** Tilings of the matmul sweep: TM x TN outputs per workgroup, RM x RN per thread, K-tile TK. */
const SWEEP_TILINGS: MatmulTiling[] = [
  { TM: 64, TN: 64, RM: 4, RN: 4, TK: 16 },
  { TM: 128, TN: 128, RM: 8, RN: 8, TK: 8 },
  { TM: 128, TN: 128, RM: 8, RN: 8, TK: 16 },
  { TM: 128, TN: 64, RM: 8, RN: 4, TK: 16 },
  { TM: 64, TN: 128, RM: 4, RN: 8, TK: 16 },
  { TM: 64, TN: 64, RM: 8, RN: 8, TK: 32 },
  { TM: 128, TN: 128, RM: 8, RN: 8, TK: 32 },
  { TM: 256, TN: 128, RM: 16, RN: 8, TK: 8 },
  { TM: 128, TN: 256, RM: 8, RN: 16, TK: 8 },
];
const sweepResults: { tiling: string; n: number; gflops?: number; ms?: number; error?: string }[] = [];

async function sweep(gpu: Gpu): Promise<void> {
  for (const t of SWEEP_TILINGS) {
    const name = `${t.TM}x${t.TN}/${t.RM}x${t.RN}/k${t.TK}`;
    const bytes = 4 * t.TK * (t.TM + t.TN);
    for (const n of SIZES.matmul) {
      if (bytes > gpu.limits.maxComputeWorkgroupStorageSize) {
        sweepResults.push({ tiling: name, n, error: `needs ${bytes} bytes of workgroup memory` });
        continue;
      }
      overrideMatmulTiling(t);
      try {
        const src = `model MM {\n  input a: f32[${n}, ${n}]\n  input b: f32[${n}, ${n}]\n  output y: f32[${n}, ${n}]\n  y = a @ b\n}\n`;
        const entry = programFromModel(compile(src, `matmul${n}.dnn`)).entries.predict;
        const r = new EntryRunner(gpu, entry, {});
        await r.init();
        const t1 = await r.time(small ? 2 : Math.max(5, Math.round(1e11 / (2 * n ** 3))));
        r.destroy();
        const gflops = (2 * n ** 3) / (ms(t1) * 1e-3) / 1e9;
        sweepResults.push({ tiling: name, n, gflops, ms: ms(t1) });
      } catch (e) {
        sweepResults.push({ tiling: name, n, error: String((e as Error).message ?? e).slice(0, 300) });
      } finally {
        overrideMatmulTiling(undefined);
      }
    }
  }
  console.log('matmul tiling sweep (GFLOP/s):');
  console.log(['tiling'.padEnd(20), ...SIZES.matmul.map((n) => String(n).padStart(8))].join(''));
  for (const t of [...new Set(sweepResults.map((r) => r.tiling))]) {
    const cells = SIZES.matmul.map((n) => {
      const r = sweepResults.find((x) => x.tiling === t && x.n === n);
      return (r?.gflops !== undefined ? r.gflops.toFixed(0) : 'err').padStart(8);
    });
    console.log([t.padEnd(20), ...cells].join(''));
  }
}

async function elementwise(gpu: Gpu, peer: TorchPeer): Promise<void> {
  let rowsN = SIZES.rows;
  const maxRows = Math.floor(gpu.limits.maxStorageBufferBindingSize / (4 * COLS));
  const note = rowsN > maxRows ? `shrunk to ${maxRows} rows: the device binds at most ${gpu.limits.maxStorageBufferBindingSize} bytes` : undefined;
  rowsN = Math.min(rowsN, maxRows);
  const src = `model Chain {\n  input  x: f32[B, ${COLS}]\n  output y: f32[B, ${COLS}]\n  y = relu(x * 2.0 + 1.0) - 0.5\n}\n`;
  const entry = programFromModel(compile(src, 'chain.dnn')).entries.predict;
  const r = new EntryRunner(gpu, entry, { B: rowsN });
  await r.init();
  const iters = small ? 2 : 20;
  const t = await r.time(iters);
  const dispatches = r.dispatchCount;
  r.destroy();
  const bytes = rowsN * COLS * 4;
  const gbps = (2 * bytes) / (ms(t) * 1e-3) / 1e9;
  // the device copy of the same bytes, for the bandwidth target
  const { device } = gpu;
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE;
  const a = device.createBuffer({ size: bytes, usage });
  const b = device.createBuffer({ size: bytes, usage });
  const copyMs: number[] = [];
  for (let s = 0; s < 4; s++) {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < iters; i++) enc.copyBufferToBuffer(a, 0, b, 0, bytes);
    const cmd = enc.finish();
    const t0 = performance.now();
    device.queue.submit([cmd]);
    await device.queue.onSubmittedWorkDone();
    if (s > 0) copyMs.push((performance.now() - t0) / iters);
  }
  a.destroy();
  b.destroy();
  const copyGbps = (2 * bytes) / (median(copyMs) * 1e-3) / 1e9;
  const p = peer.elementwise?.one_pass_gbps;
  rows.push({
    case: `elementwise chain ${(bytes / 2 ** 20).toFixed(0)} MiB`,
    unit: 'GB/s',
    ours: gbps,
    peer: p,
    ratio: p ? gbps / p : undefined,
    target: '≥ 0.8 of the device copy',
    detail: { ms: ms(t), timing: how(t), wallMs: t.wallMs, iters, dispatches, bytes, ...(note ? { note } : {}), torchEagerChainGbps: peer.elementwise?.eager_chain_gbps },
  });
  const pc = peer.copy?.gbps;
  rows.push({ case: `device copy ${(bytes / 2 ** 20).toFixed(0)} MiB`, unit: 'GB/s', ours: copyGbps, peer: pc, ratio: pc ? copyGbps / pc : undefined, detail: { ms: median(copyMs), timing: 'wall', iters } });
  rows.push({ case: 'elementwise / device copy', unit: 'ratio', ours: gbps / copyGbps, target: '≥ 0.8', detail: {} });
}

async function lenet5(peer: TorchPeer): Promise<void> {
  const file = join(root, 'bench', 'models', 'lenet5.dnn');
  const program: Program = programFromModel(compile(readFileSync(file, 'utf8'), 'lenet5.dnn'));
  const model = await instantiate(program, { backend: 'webgpu', seed: 1 });
  const shared = await backendGpu(); // same device as the model: its compiled pipelines are reused
  try {
    for (const B of SIZES.batches) {
      let a = 12345 + B;
      const next = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) >>> 8) / 16777216;
      const image = { data: Float32Array.from({ length: B * 784 }, next), shape: [B, 1, 28, 28] };
      const label = Int32Array.from({ length: B }, () => Math.floor(next() * 10));
      const timeCalls = async (f: () => Promise<unknown>): Promise<number> => {
        for (let i = 0; i < 2; i++) await f();
        const ts: number[] = [];
        for (let i = 0; i < SIZES.calls; i++) {
          const t0 = performance.now();
          await f();
          ts.push(performance.now() - t0);
        }
        return median(ts);
      };
      const predictMs = await timeCalls(() => model.predict({ image }));
      const trainMs = await timeCalls(() => model.trainStep({ image, label }));
      const kernels = async (name: 'predict' | 'trainStep') => {
        const r = new EntryRunner(shared, program.entries[name]!, { B });
        await r.init();
        const t = await r.time(SIZES.stepIters);
        const dispatches = r.dispatchCount;
        r.destroy();
        return { ms: ms(t), timing: how(t), dispatches };
      };
      const kp = await kernels('predict');
      const kt = await kernels('trainStep');
      const p = peer.lenet5?.find((x) => x.batch === B);
      rows.push({
        case: `lenet5 predict B=${B}`,
        unit: 'ms',
        ours: predictMs,
        peer: p?.predict_ms,
        ratio: p ? p.predict_ms / predictMs : undefined,
        detail: { kernelsMs: kp.ms, kernelTiming: kp.timing, dispatches: kp.dispatches, api: 'Model.predict (upload + dispatch + readback)' },
      });
      rows.push({
        case: `lenet5 trainStep B=${B}`,
        unit: 'ms',
        ours: trainMs,
        peer: p?.train_sync_ms,
        ratio: p ? p.train_sync_ms / trainMs : undefined,
        target: 'faster than PyTorch eager, ≤ 24 dispatches',
        detail: { kernelsMs: kt.ms, kernelTiming: kt.timing, dispatches: kt.dispatches, api: 'Model.trainStep (upload + step + loss readback)', torchTrainNoSyncMs: p?.train_ms },
      });
    }
  } finally {
    shared.release();
    model.dispose();
  }
}

/**
 * Correctness on this GPU: LeNet-5 on webgpu against cpu (same seed), predict
 * and 3 Adam steps at the first batch size; the largest relative differences.
 */
async function check(): Promise<void> {
  const file = join(root, 'bench', 'models', 'lenet5.dnn');
  const program = programFromModel(compile(readFileSync(file, 'utf8'), 'lenet5.dnn'));
  const cpu = await instantiate(program, { backend: 'cpu', seed: 3 });
  const gpu = await instantiate(program, { backend: 'webgpu', seed: 3 });
  const B = SIZES.batches[0];
  let a = 777;
  const next = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) >>> 8) / 16777216;
  const rel = (x: ArrayLike<number>, y: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
    return m;
  };
  try {
    const image = { data: Float32Array.from({ length: B * 784 }, next), shape: [B, 1, 28, 28] };
    const predict = rel((await gpu.predict({ image })).logits.data, (await cpu.predict({ image })).logits.data);
    const losses: [number, number][] = [];
    for (let s = 0; s < 3; s++) {
      const batch = { image: { data: Float32Array.from({ length: B * 784 }, next), shape: [B, 1, 28, 28] }, label: Int32Array.from({ length: B }, () => Math.floor(next() * 10)) };
      losses.push([(await gpu.trainStep(batch)).loss, (await cpu.trainStep(batch)).loss]);
    }
    const loss = rel(losses.map((l) => l[0]), losses.map((l) => l[1]));
    const ok = predict < 1e-4 && loss < 1e-4;
    rows.push({ case: `check: lenet5 webgpu vs cpu B=${B}`, unit: 'max rel diff', ours: Math.max(predict, loss), target: '< 1e-4', detail: { ok, predict, losses } });
    if (!ok) console.error(`CHECK FAILED: webgpu differs from cpu (predict ${predict}, losses ${JSON.stringify(losses)})`);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
}

// ------------------------------------------------------------ main

async function main(): Promise<void> {
  const t0 = performance.now();
  const peer = torchPeer();
  let gpu: Gpu;
  try {
    gpu = await openGpu();
  } catch (e) {
    // no adapter: still print the table with the peer's figures, and say why ours are missing
    const reason = String((e as Error).message ?? e);
    console.error(`no WebGPU adapter: ${reason}`);
    peerOnlyRows(peer);
    report({ adapter: `none (${reason})`, timestamps: false }, t0, peer);
    process.exit(3);
  }
  console.log(`adapter: ${gpu.adapter}; timestamp queries: ${gpu.timestamps ? 'yes' : 'no'}; sizes: ${small ? 'small (--small: a functional check)' : 'full'}`);
  console.log(`peer: ${peer.error ? `none (${peer.error})` : `PyTorch ${peer.torch} on ${peer.device}`}`);
  try {
    if (only.has('matmul')) await matmul(gpu, peer);
    if (only.has('elementwise')) await elementwise(gpu, peer);
  } finally {
    gpu.release();
  }
  if (only.has('lenet5')) await lenet5(peer);
  if (only.has('check')) await check();
  report(gpu, t0, peer);
  if (only.has('sweep')) {
    // last, so that a failure here leaves the table and JSON above intact
    const g2 = await openGpu();
    try {
      await sweep(g2);
    } finally {
      g2.release();
    }
    report(gpu, t0, peer);
  }
}

/** The rows of the full suite with the peer's figures only (the device has no WebGPU adapter). */
function peerOnlyRows(peer: TorchPeer): void {
  const none = { detail: { note: 'no WebGPU adapter on this machine' } };
  for (const n of SIZES.matmul) rows.push({ case: `matmul ${n}³ fp32`, unit: 'GFLOP/s', ours: undefined, peer: peer.matmul?.find((m) => m.n === n)?.gflops, ...none });
  rows.push({ case: 'elementwise chain 256 MiB', unit: 'GB/s', ours: undefined, peer: peer.elementwise?.one_pass_gbps, ...none });
  rows.push({ case: 'device copy 256 MiB', unit: 'GB/s', ours: undefined, peer: peer.copy?.gbps, ...none });
  for (const B of SIZES.batches) {
    const p = peer.lenet5?.find((x) => x.batch === B);
    rows.push({ case: `lenet5 predict B=${B}`, unit: 'ms', ours: undefined, peer: p?.predict_ms, ...none });
    rows.push({ case: `lenet5 trainStep B=${B}`, unit: 'ms', ours: undefined, peer: p?.train_sync_ms, ...none });
  }
}

function report(gpu: Pick<Gpu, 'adapter' | 'timestamps'>, t0: number, peer: TorchPeer): void {
  const table = [
    ['case', 'unit', 'dnnc (webgpu)', 'PyTorch', 'vs peer', 'detail', 'target'],
    ...rows.map((r) => [
      r.case,
      r.unit,
      fmt(r.ours),
      fmt(r.peer),
      r.ratio === undefined ? '–' : `${r.ratio.toFixed(2)}x`,
      [
        r.detail.kernelsMs !== undefined ? `kernels ${fmt(r.detail.kernelsMs as number)} ms` : '',
        r.detail.dispatches !== undefined ? `${r.detail.dispatches} dispatches` : '',
        r.detail.timing ? String(r.detail.timing) : '',
      ]
        .filter(Boolean)
        .join(', '),
      r.target ?? '',
    ]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
  const seconds = (performance.now() - t0) / 1000;
  console.log(`(${seconds.toFixed(1)} s; "vs peer" > 1: dnnc better)`);
  const json = {
    date,
    small,
    adapter: gpu.adapter,
    timestampQueries: gpu.timestamps,
    node: process.version,
    vkIcd: process.env.VK_ICD_FILENAMES ?? null,
    seconds,
    rows,
    sweep: sweepResults,
    peer,
  };
  if (outPath !== '-') {
    mkdirSync(dirname(resolve(outPath)), { recursive: true });
    writeFileSync(outPath, JSON.stringify(json, null, 2) + '\n');
    console.log(`wrote ${outPath}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
