/**
 * CPU benchmarks: dnnc against TF.js (cpu and wasm backends) and PyTorch on
 * the CPU, in the same run, on the same machine. `npm run bench` (options below).
 *
 * Cases (batch 64 where there is a batch):
 *   lenet5.train    one Adam step of bench/models/lenet5.dnn (forward, backward, update, loss read back)
 *   lenet5.predict  one forward pass of the same network
 *   mlp784.train    one Adam step of bench/models/mlp784.dnn (784 -> 128 relu -> 10)
 *   mlp784.predict  one forward pass
 *   matmul1024      C = A @ B with 1024×1024 f32 operands (ours: bench/models/matmul.dnn)
 * The inputs are the first 64 images of mnist(split: train) with their labels
 * (the matmul: seeded uniform values); every side starts from freshly
 * initialised weights and reads the result back to the host every time.
 *
 * Ours runs with the wasm kernels (WebAssembly SIMD) on --threads threads and
 * on one, and with the JS kernels on --threads threads. Peers: TF.js cpu,
 * TF.js wasm (XNNPACK; one thread in Node), and PyTorch (python3 with torch,
 * Debian's python3-torch) on --threads threads and on one, run as a child
 * process (bench/torch_cpu_peer.py) with the same networks, batch, warm-up
 * and sampling, its JSON read back. A peer that is missing or cannot run a
 * case is reported as n/a with the reason.
 *
 * Each of our sides is one benchmark.js benchmark; we report the median of
 * its samples (seconds per operation) and ratios peer / ours (> 1: ours is
 * faster): ours on --threads threads against TF.js cpu and PyTorch on as
 * many threads, ours on one thread against TF.js wasm and PyTorch on one
 * (thread for thread: TF.js wasm has one thread in Node, so its headline
 * ratio is always ours on one thread; with --threads > 1 the ratio to ours on
 * all threads is printed beside it, marked ², and never replaces it).
 *
 * Output: a table on stdout, and JSON in bench/results/<date>T<hhmm>-cpu.json
 * (a new file per run).
 *
 * Options:
 *   --only=lenet5,mlp784,matmul   run these groups only (default: all)
 *   --peers=cpu,wasm,torch        which peers (default: all three; --peers= for none)
 *   --quick                       fewer samples (a smoke run; the JSON is marked quick)
 *   --out=PATH                    write the JSON there instead ("-": do not write)
 *   --threads=N                   threads for ours and PyTorch (default: the CPU backend's default, 2 on 2 cores)
 *   --js=0                        do not time our JS kernels
 *   --clock=cpu                   time by CPU time (this process's, and PyTorch's process_time) instead of the
 *                                 wall clock: steadier on a loaded machine; compare the one-thread columns then
 *                                 (on several threads it sums their work). TF.js cpu and wasm run in this process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileSource } from '../compiler/compile.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { instantiate } from '../runtime/index.js';
import { mnist } from '../runtime/data/mnist.js';
import { Rng } from '../runtime/data/random.js';
import type { CpuKernels, Model } from '../runtime/types.js';
import { BATCH, clock, here, MATMUL_N, measure, only, outPath, peerNames, quick, tfPeers, threads, withJs, type Outcome, type PeerName, type TfPeer } from './cpu-bench-options.js';
import { tfLeNet, tfMlp, tfRunner, torchPeers, torchRuns, useBackend } from './cpu-bench-peers.js';

// ------------------------------------------------------------ our side

type Ours = { model: Model; compileMs: number } | { notCompiled: string };

async function ours(file: string, nThreads: number, kernels: CpuKernels): Promise<Ours> {
  const path = join(here, 'models', file);
  const t0 = performance.now();
  const res = compileSource(readFileSync(path, 'utf8'), path);
  if (!res.file) {
    const d = res.diagnostics[0];
    const why = `${d.code}: ${d.message}`;
    if (res.diagnostics.every((x) => x.code === 'DNN0015')) return { notCompiled: why };
    throw new Error(`bench/models/${file} does not compile: ${why}`);
  }
  const program = programFromModel(res.file.models[0]);
  const compileMs = performance.now() - t0;
  return { model: await instantiate(program, { seed: 1, backend: 'cpu', threads: nThreads, cpu: { kernels } }), compileMs };
}

/** Our three sides of a case: wasm kernels on `threads` and on one thread, JS kernels on `threads`. */
async function ourSides(file: string, time: (m: Model) => Promise<Outcome>): Promise<Pick<Row, 'ours' | 'oursSingle' | 'oursJs'>> {
  const side = async (n: number, kernels: CpuKernels): Promise<Outcome> => {
    const o = await ours(file, n, kernels);
    if ('notCompiled' in o) return { status: 'not compiled yet', reason: o.notCompiled };
    if (kernels === 'wasm' && n === threads) compileTimes[file] = o.compileMs;
    try {
      return await time(o.model);
    } finally {
      o.model.dispose();
    }
  };
  return {
    ours: await side(threads, 'wasm'),
    ...(threads > 1 ? { oursSingle: await side(1, 'wasm') } : {}),
    ...(withJs ? { oursJs: await side(threads, 'js') } : {}),
  };
}


// ------------------------------------------------------------ cases

/** A target: peer time / our time >= ratio, ours on `threads` threads or on one (`single`: thread for thread with a one-thread peer). */
interface Target {
  peer: PeerName;
  ratio: number;
  single?: boolean;
  met?: boolean;
  /** the ratio measured */
  got?: number;
}

interface Row {
  case: string;
  what: string;
  /** wasm kernels on `threads` threads */
  ours: Outcome;
  /** wasm kernels on one thread (when `threads` > 1) */
  oursSingle?: Outcome;
  /** JS kernels on `threads` threads */
  oursJs?: Outcome;
  peers: Partial<Record<PeerName, Outcome>>;
  /** peer median / our median (ours on `threads`; TF.js wasm and PyTorch on one thread against ours on one): > 1 means ours is faster */
  ratios: Partial<Record<PeerName, number>>;
  /** TF.js wasm (one thread) median / ours on `threads` threads: shown beside the thread-for-thread ratio, never in its place (only when `threads` > 1) */
  wasmVsOursThreaded?: number;
  targets: Target[];
}

const rows: Row[] = [];
const compileTimes: Record<string, number> = {};

function fail(e: unknown): Outcome & { reason: string } {
  return { status: 'failed', reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
}

/** peers that run one thread: compared with ours on one thread */
const ONE_THREAD: PeerName[] = ['wasm', 'torch1'];

function addRow(r: Omit<Row, 'ratios'>): void {
  const ratios: Row['ratios'] = {};
  const mine = (single: boolean) => {
    const o = single && r.oursSingle ? r.oursSingle : r.ours;
    return o.status === 'ok' ? o.timing.median : undefined;
  };
  for (const [p, o] of Object.entries(r.peers) as [PeerName, Outcome][]) {
    const m = mine(ONE_THREAD.includes(p));
    if (o.status === 'ok' && m !== undefined) ratios[p] = o.timing.median / m;
  }
  const wasm = r.peers.wasm;
  const threaded = mine(false);
  const wasmVsOursThreaded = threads > 1 && wasm?.status === 'ok' && threaded !== undefined ? wasm.timing.median / threaded : undefined;
  const targets = r.targets.map((t) => {
    const m = mine(Boolean(t.single));
    const o = r.peers[t.peer];
    if (m === undefined || !o || o.status !== 'ok') return t;
    const got = o.timing.median / m;
    return { ...t, got, met: got >= t.ratio };
  });
  const row = { ...r, ratios, ...(wasmVsOursThreaded !== undefined ? { wasmVsOursThreaded } : {}), targets };
  rows.push(row);
  printRow(row);
}

function firstBatch(flat: boolean) {
  const d = mnist({ split: 'train' });
  const image = d.fields.image.data.slice(0, BATCH * 784) as Float32Array;
  const label = d.fields.label.data.slice(0, BATCH) as Int32Array;
  return {
    ours: { image: { data: image, shape: flat ? [BATCH, 784] : [BATCH, 1, 28, 28] }, label: { data: label, shape: [BATCH] } },
    tf: () => ({ x: tf.tensor(image, flat ? [BATCH, 784] : [BATCH, 28, 28, 1]), y: tf.oneHot(tf.tensor1d(label, 'int32'), 10) }),
  };
}

const timeOurs = async (fn: () => Promise<unknown>, expect: number): Promise<Outcome> => {
  try {
    return { status: 'ok', timing: await measure(fn, expect) };
  } catch (e) {
    return fail(e);
  }
};

/**
 * A network case: train step and predict, ours and each peer.
 * `expect*`: rough seconds per call, to size the sampling.
 */
async function networkCase(opts: {
  id: string;
  file: string;
  flat: boolean;
  build: () => tf.Sequential;
  expectTrain: Record<TfPeer | 'ours', number>;
  expectPredict: Record<TfPeer | 'ours', number>;
  /** a peer that cannot train this network: why */
  cannotTrain?: Partial<Record<TfPeer, string>>;
  trainTargets: Target[];
  predictTargets: Target[];
  what: string;
}): Promise<void> {
  const batch = firstBatch(opts.flat);
  const train = await ourSides(opts.file, (m) => timeOurs(() => m.trainStep(batch.ours), opts.expectTrain.ours));
  const predict = await ourSides(opts.file, (m) => timeOurs(() => m.predict({ image: batch.ours.image }), opts.expectPredict.ours));
  const trainPeers: Row['peers'] = {};
  const predictPeers: Row['peers'] = {};
  for (const p of tfPeers) {
    await useBackend(p);
    const { x, y } = batch.tf();
    const r = tfRunner(opts.build(), x, y);
    try {
      try {
        trainPeers[p] = { status: 'ok', timing: await measure(r.train, opts.expectTrain[p]) };
      } catch (e) {
        const known = opts.cannotTrain?.[p];
        trainPeers[p] = known ? { status: 'n/a', reason: `${known} (${fail(e).reason})` } : fail(e);
      }
      try {
        predictPeers[p] = { status: 'ok', timing: await measure(r.predict, opts.expectPredict[p]) };
      } catch (e) {
        predictPeers[p] = fail(e);
      }
    } finally {
      r.dispose();
    }
  }
  addRow({ case: `${opts.id}.train`, what: `${opts.what}: one Adam step, batch ${BATCH}`, ...train, peers: { ...trainPeers, ...torchPeers(`${opts.id}.train`) }, targets: opts.trainTargets });
  addRow({ case: `${opts.id}.predict`, what: `${opts.what}: predict, batch ${BATCH}`, ...predict, peers: { ...predictPeers, ...torchPeers(`${opts.id}.predict`) }, targets: opts.predictTargets });
}

async function matmulCase(): Promise<void> {
  const n = MATMUL_N;
  const rng = new Rng(7);
  const a = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const b = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const inputs = { a: { data: a, shape: [n, n] }, b: { data: b, shape: [n, n] } };
  const mine = await ourSides('matmul.dnn', (m) => timeOurs(() => m.predict(inputs), 0.2));
  const peers: Row['peers'] = {};
  for (const p of tfPeers) {
    await useBackend(p);
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    try {
      peers[p] = {
        status: 'ok',
        timing: await measure(
          () => {
            const c = tf.matMul(ta, tb);
            c.dataSync();
            c.dispose();
          },
          p === 'cpu' ? 4 : 0.15,
        ),
      };
    } catch (e) {
      peers[p] = fail(e);
    } finally {
      ta.dispose();
      tb.dispose();
    }
  }
  addRow({
    case: `matmul${n}`,
    what: `f32 matmul ${n}×${n} @ ${n}×${n} (${((2 * n ** 3) / 1e9).toFixed(2)} GFLOP)`,
    ...mine,
    peers: { ...peers, ...torchPeers(`matmul${n}`) },
    // TF.js wasm runs one thread in Node: ours on one thread and on all of ours against it
    targets: [
      { peer: 'wasm', ratio: 1, single: true },
      { peer: 'wasm', ratio: 1 },
    ],
  });
}

// ------------------------------------------------------------ printing

function ms(o: Outcome | undefined): string {
  if (!o) return '-';
  if (o.status !== 'ok') return o.status;
  const t = o.timing.median * 1000;
  return `${t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2)} ms`;
}
const ratio = (x: number | undefined) => (x === undefined ? '-' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);
const PEER_LABEL: Record<PeerName, string> = { cpu: 'tfjs cpu', wasm: 'tfjs wasm', torch: 'torch', torch1: 'torch 1 thr' };
// the ratio to TF.js wasm (one thread in Node) is ours on one thread against it; ours on `threads` threads against it is the column beside, marked ²
const cols = () => ['case', `dnnc ${threads} thr`, 'dnnc 1 thr', `dnnc js ${threads} thr`, 'tfjs cpu', 'tfjs wasm', `torch ${threads} thr`, 'torch 1 thr', 'vs cpu', 'vs wasm¹', ...(threads > 1 ? ['vs wasm²'] : []), 'vs torch', 'vs torch¹', 'targets'];
const widths = () => [16, 11, 11, 13, 10, 10, 11, 11, 7, 9, ...(threads > 1 ? [9] : []), 8, 9, 40];
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths()[i])).join(' ').trimEnd();

function printHeader(): void {
  process.stdout.write(`${line(cols())}\n${line(widths().map((w) => '-'.repeat(w)))}\n`);
}

function targetText(t: Target): string {
  // which of our sides the target compares: on one thread, or on `threads`
  const who = `${PEER_LABEL[t.peer]}, dnnc ${t.single || threads === 1 ? 1 : threads} thr`;
  return `≥${t.ratio}× ${who}${t.met === undefined ? '' : t.met ? ' met' : ' NOT met'}`;
}

function printRow(r: Row): void {
  const p = r.peers;
  process.stdout.write(
    line([r.case, ms(r.ours), ms(r.oursSingle), ms(r.oursJs), ms(p.cpu), ms(p.wasm), ms(p.torch), ms(p.torch1), ratio(r.ratios.cpu), ratio(r.ratios.wasm), ...(threads > 1 ? [ratio(r.wasmVsOursThreaded)] : []), ratio(r.ratios.torch), ratio(r.ratios.torch1), r.targets.map(targetText).join('; ')]) + '\n',
  );
}

// ------------------------------------------------------------ main

let startLoad = 0;

async function main(): Promise<void> {
  const cpu = cpus();
  startLoad = Number(loadavg()[0].toFixed(2));
  process.stdout.write(
    `dnnc CPU benchmark: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}, TF.js ${tf.version.tfjs}` +
      `${quick ? ' (quick)' : ''}, dnnc and PyTorch on ${threads} thread${threads > 1 ? 's' : ''}, load average ${loadavg()[0].toFixed(1)}${clock === 'cpu' ? ', timed by CPU time' : ''}\n` +
      `medians of ${clock === "cpu" ? "CPU-time" : "benchmark.js"} samples; "vs" = peer time / dnnc time (> 1: dnnc is faster); ¹ one-thread peers against dnnc on one thread (thread for thread: the headline)` +
      `${threads > 1 ? `; ² TF.js wasm (one thread) against dnnc on ${threads} threads, for reference only` : ''}\n\n`,
  );
  printHeader();
  if (only.has('lenet5'))
    await networkCase({
      id: 'lenet5',
      file: 'lenet5.dnn',
      flat: false,
      build: tfLeNet,
      what: 'LeNet-5 (conv 6@5×5 same, pool, conv 16@5×5, pool, 120, 84, 10)',
      expectTrain: { ours: 0.1, cpu: 8, wasm: 0.1 },
      expectPredict: { ours: 0.03, cpu: 0.2, wasm: 0.02 },
      cannotTrain: { wasm: 'TF.js wasm has no Conv2DBackpropFilter kernel' },
      trainTargets: [{ peer: 'torch', ratio: 1 }],
      predictTargets: [
        { peer: 'wasm', ratio: 1, single: true },
        { peer: 'torch', ratio: 1 },
      ],
    });
  if (only.has('mlp784'))
    await networkCase({
      id: 'mlp784',
      file: 'mlp784.dnn',
      flat: true,
      build: tfMlp,
      what: 'MLP 784-128-10',
      expectTrain: { ours: 0.01, cpu: 0.07, wasm: 0.02 },
      expectPredict: { ours: 0.002, cpu: 0.01, wasm: 0.002 },
      trainTargets: [{ peer: 'torch', ratio: 1.5 }],
      predictTargets: [
        { peer: 'wasm', ratio: 1, single: true },
        { peer: 'torch', ratio: 1 },
      ],
    });
  if (only.has('matmul')) await matmulCase();

  const result = {
    date: new Date().toISOString(),
    quick,
    threads,
    /** 'wall', or 'cpu' (--clock=cpu: medians of CPU time) */
    clock,
    /** the 1-minute load average at the start and the end of the run (the machine is shared) */
    loadAverage: [startLoad, Number(loadavg()[0].toFixed(2))],
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    peers: { tfjs: tf.version.tfjs, torch: torchRuns.get(threads)?.version ?? torchRuns.get(threads)?.error, selected: peerNames },
    batch: BATCH,
    compileMs: Object.fromEntries(Object.entries(compileTimes).map(([k, v]) => [k, Math.round(v)])),
    rows: rows.map((r) => ({
      ...r,
      ours: roundOutcome(r.ours),
      ...(r.oursSingle ? { oursSingle: roundOutcome(r.oursSingle) } : {}),
      ...(r.oursJs ? { oursJs: roundOutcome(r.oursJs) } : {}),
      targets: r.targets.map((t) => ({ ...t, ...(t.got !== undefined ? { got: Number(t.got.toPrecision(3)) } : {}) })),
      peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, roundOutcome(v)])),
      ratios: Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, Number(v.toPrecision(3))])),
      ...(r.wasmVsOursThreaded !== undefined ? { wasmVsOursThreaded: Number(r.wasmVsOursThreaded.toPrecision(3)) } : {}),
    })),
  };
  process.stdout.write(`\ncompile times: ${Object.entries(result.compileMs).map(([k, v]) => `${k} ${v} ms`).join(', ') || '-'}\n`);
  for (const r of rows)
    for (const [who, o] of [['dnnc', r.ours], ['dnnc 1 thr', r.oursSingle], ['dnnc js', r.oursJs], ...Object.entries(r.peers)].filter(([, o]) => o) as [string, Outcome][])
      if (o.status !== 'ok') process.stdout.write(`${r.case} ${who}: ${o.status}: ${'reason' in o ? o.reason : ''}\n`);
  if (outPath !== '-') {
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`wrote ${outPath}\n`);
  }
}

function roundOutcome(o: Outcome): unknown {
  if (o.status !== 'ok') return o;
  const t = o.timing;
  return { status: 'ok', medianMs: Number((t.median * 1000).toPrecision(4)), meanMs: Number((t.mean * 1000).toPrecision(4)), rmePercent: Number(t.rme.toFixed(1)), samples: t.samples };
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
