/**
 * CPU benchmarks: dnnc against TF.js (cpu and wasm backends) in the same run,
 * on the same machine, with benchmark.js. `npm run bench` (options below).
 *
 * Cases (batch 64 where there is a batch):
 *   lenet5.train    one Adam step of bench/models/lenet5.dnn (forward, backward, update, loss read back)
 *   lenet5.predict  one forward pass of the same network
 *   mlp784.train    one Adam step of bench/models/mlp784.dnn (784 -> 128 relu -> 10)
 *   mlp784.predict  one forward pass
 *   matmul1024      C = A @ B with 1024×1024 f32 operands (ours: bench/models/matmul.dnn)
 * The inputs are the first 64 images of mnist(split: train) with their labels
 * (the matmul: seeded uniform values); both sides start from freshly
 * initialised weights and read the result back to the host every time.
 *
 * Each side is one benchmark.js benchmark; we report the median of its
 * samples (seconds per operation) and the ratio peer / ours (> 1: ours is
 * faster). A case our compiler cannot build yet (DNN0015, "not supported yet")
 * is reported as "not compiled yet" and the other cases still run; a peer
 * that cannot run a case (TF.js wasm has no Conv2DBackpropFilter kernel, so
 * it cannot train LeNet) is reported as n/a with the reason.
 *
 * Output: a table on stdout, and JSON in bench/results/<YYYY-MM-DD>-cpu.json.
 *
 * Options:
 *   --only=lenet5,mlp784,matmul   run these groups only (default: all)
 *   --peers=cpu,wasm              which TF.js backends (default: both; --peers= for none)
 *   --quick                       fewer samples (a smoke run; the JSON is marked quick)
 *   --out=PATH                    write the JSON there instead ("-": do not write)
 *   --threads=N                   our CPU backend's threads (default: its default, 2 on 2 cores; 1: none)
 *   --single=0                    do not also time ours on one thread (by default, when ours runs
 *                                 threaded, each case is timed on one thread too: column "dnnc 1 thr")
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure as measureWith, type Timing } from './measure.js';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileSource } from '../compiler/compile.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { instantiate } from '../runtime/index.js';
import { mnist } from '../runtime/data/mnist.js';
import { Rng } from '../runtime/data/random.js';
import type { Model } from '../runtime/types.js';
import { resolveThreads } from '../runtime/threads.js';

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 64;
const MATMUL_N = 1024;

// ------------------------------------------------------------ options

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = argv.includes('--quick');
const only = new Set((opt('only') ?? 'lenet5,mlp784,matmul').split(',').filter(Boolean));
const peerNames = (opt('peers') ?? 'cpu,wasm').split(',').filter(Boolean) as PeerName[];
const outPath = opt('out') ?? join(here, 'results', `${new Date().toISOString().slice(0, 10)}-cpu.json`);
const threads = resolveThreads(opt('threads') !== undefined ? Number(opt('threads')) : undefined);
/** also time ours on one thread (when ours is threaded) */
const single = threads > 1 && opt('single') !== '0';

// ------------------------------------------------------------ measuring

type Outcome = { status: 'ok'; timing: Timing } | { status: 'not compiled yet' | 'n/a' | 'failed'; reason: string };

/** benchmark.js timing shared by the suites (bench/measure.ts), with this run's --quick */
const measure = (fn: () => unknown | Promise<unknown>, expectSeconds: number): Promise<Timing> => measureWith(fn, expectSeconds, quick);

// ------------------------------------------------------------ our side

type Ours = { model: Model; compileMs: number } | { notCompiled: string };

async function ours(file: string, nThreads = threads): Promise<Ours> {
  const path = join(here, 'models', file);
  const t0 = performance.now();
  const res = compileSource(readFileSync(path, 'utf8'), path);
  const compileMs = performance.now() - t0;
  if (!res.file) {
    const d = res.diagnostics[0];
    const why = `${d.code}: ${d.message}`;
    if (res.diagnostics.every((x) => x.code === 'DNN0015')) return { notCompiled: why };
    throw new Error(`bench/models/${file} does not compile: ${why}`);
  }
  const program = programFromModel(res.file.models[0]);
  return { model: await instantiate(program, { seed: 1, backend: 'cpu', threads: nThreads }), compileMs };
}

// ------------------------------------------------------------ TF.js

type PeerName = 'cpu' | 'wasm';

async function useBackend(name: PeerName): Promise<void> {
  // TF.js greets Node users on the console when a backend starts: keep the table readable
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(name))) throw new Error(`TF.js backend '${name}' did not start`);
    await tf.ready();
    tf.scalar(0).dispose(); // the greeting comes with the backend's first tensor
  } finally {
    Object.assign(console, { log, warn });
  }
}

function tfLeNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

function tfMlp(): tf.Sequential {
  return tf.sequential({
    layers: [tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tf.layers.dense({ units: 10 })],
  });
}

/** A TF.js network with the step and predict functions the cases time. */
function tfRunner(net: tf.Sequential, x: tf.Tensor, y: tf.Tensor) {
  const optimizer = tf.train.adam(1e-3);
  return {
    train: () => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      cost!.dataSync();
      cost!.dispose();
    },
    predict: () => {
      const out = net.predict(x) as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      net.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

// ------------------------------------------------------------ cases

interface Row {
  case: string;
  what: string;
  ours: Outcome;
  /** ours on one thread, when ours runs threaded */
  oursSingle?: Outcome;
  peers: Partial<Record<PeerName, Outcome>>;
  /** peer median / our median: > 1 means ours is faster */
  ratios: Partial<Record<PeerName, number>>;
  target?: { peer: PeerName; ratio: number; met?: boolean };
}

const rows: Row[] = [];
const compileTimes: Record<string, number> = {};

function fail(e: unknown): Outcome & { reason: string } {
  return { status: 'failed', reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
}

async function timeOurs(o: Ours, fn: (m: Model) => () => Promise<unknown>, expect: number): Promise<Outcome> {
  if ('notCompiled' in o) return { status: 'not compiled yet', reason: o.notCompiled };
  try {
    return { status: 'ok', timing: await measure(fn(o.model), expect) };
  } catch (e) {
    return fail(e);
  }
}

function addRow(r: Omit<Row, 'ratios'>): void {
  const ratios: Row['ratios'] = {};
  if (r.ours.status === 'ok')
    for (const [p, o] of Object.entries(r.peers) as [PeerName, Outcome][]) if (o.status === 'ok') ratios[p] = o.timing.median / r.ours.timing.median;
  const target = r.target && { ...r.target, ...(ratios[r.target.peer] !== undefined ? { met: ratios[r.target.peer]! >= r.target.ratio } : {}) };
  const row = { ...r, ratios, ...(target ? { target } : {}) };
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

/**
 * A network case: train step and predict, ours and each peer.
 * `expect*`: rough seconds per call, to size the sampling.
 */
async function networkCase(opts: {
  id: string;
  file: string;
  flat: boolean;
  build: () => tf.Sequential;
  expectTrain: Record<PeerName | 'ours', number>;
  expectPredict: Record<PeerName | 'ours', number>;
  /** a peer that cannot train this network: why */
  cannotTrain?: Partial<Record<PeerName, string>>;
  trainTarget: Row['target'];
  what: string;
}): Promise<void> {
  const o = await ours(opts.file);
  if ('compileMs' in o) compileTimes[opts.file] = o.compileMs;
  const batch = firstBatch(opts.flat);
  const trainOurs = await timeOurs(o, (m) => () => m.trainStep(batch.ours), opts.expectTrain.ours);
  const predictOurs = await timeOurs(o, (m) => () => m.predict({ image: batch.ours.image }), opts.expectPredict.ours);
  if ('model' in o) o.model.dispose();
  let trainSingle: Outcome | undefined;
  let predictSingle: Outcome | undefined;
  if (single) {
    const o1 = await ours(opts.file, 1);
    trainSingle = await timeOurs(o1, (m) => () => m.trainStep(batch.ours), 2 * opts.expectTrain.ours);
    predictSingle = await timeOurs(o1, (m) => () => m.predict({ image: batch.ours.image }), 2 * opts.expectPredict.ours);
    if ('model' in o1) o1.model.dispose();
  }
  const train: Row['peers'] = {};
  const predict: Row['peers'] = {};
  for (const p of peerNames) {
    await useBackend(p);
    const { x, y } = batch.tf();
    const r = tfRunner(opts.build(), x, y);
    try {
      try {
        train[p] = { status: 'ok', timing: await measure(r.train, opts.expectTrain[p]) };
      } catch (e) {
        const known = opts.cannotTrain?.[p];
        train[p] = known ? { status: 'n/a', reason: `${known} (${fail(e).reason})` } : fail(e);
      }
      try {
        predict[p] = { status: 'ok', timing: await measure(r.predict, opts.expectPredict[p]) };
      } catch (e) {
        predict[p] = fail(e);
      }
    } finally {
      r.dispose();
    }
  }
  addRow({ case: `${opts.id}.train`, what: `${opts.what}: one Adam step, batch ${BATCH}`, ours: trainOurs, ...(trainSingle ? { oursSingle: trainSingle } : {}), peers: train, target: opts.trainTarget });
  addRow({ case: `${opts.id}.predict`, what: `${opts.what}: predict, batch ${BATCH}`, ours: predictOurs, ...(predictSingle ? { oursSingle: predictSingle } : {}), peers: predict });
}

async function matmulCase(): Promise<void> {
  const n = MATMUL_N;
  const rng = new Rng(7);
  const a = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const b = new Float32Array(n * n).map(() => rng.next() * 2 - 1);
  const o = await ours('matmul.dnn');
  if ('compileMs' in o) compileTimes['matmul.dnn'] = o.compileMs;
  const inputs = { a: { data: a, shape: [n, n] }, b: { data: b, shape: [n, n] } };
  const mine = await timeOurs(o, (m) => () => m.predict(inputs), 1);
  if ('model' in o) o.model.dispose();
  let mineSingle: Outcome | undefined;
  if (single) {
    const o1 = await ours('matmul.dnn', 1);
    mineSingle = await timeOurs(o1, (m) => () => m.predict(inputs), 1);
    if ('model' in o1) o1.model.dispose();
  }
  const peers: Row['peers'] = {};
  for (const p of peerNames) {
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
  addRow({ case: `matmul${n}`, what: `f32 matmul ${n}×${n} @ ${n}×${n} (${((2 * n ** 3) / 1e9).toFixed(2)} GFLOP)`, ours: mine, ...(mineSingle ? { oursSingle: mineSingle } : {}), peers, target: { peer: 'cpu', ratio: 10 } });
}

// ------------------------------------------------------------ printing

function ms(o: Outcome | undefined): string {
  if (!o) return '-';
  if (o.status !== 'ok') return o.status;
  const t = o.timing.median * 1000;
  return `${t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2)} ms`;
}
const ratio = (x: number | undefined) => (x === undefined ? '-' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);
const cols = ['case', 'dnnc', 'dnnc 1 thr', 'tfjs cpu', 'tfjs wasm', 'vs cpu', 'vs wasm', 'target'];
const widths = [16, 12, 12, 16, 16, 8, 8, 24];
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd();

function printHeader(): void {
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
}

function printRow(r: Row): void {
  const t = r.target ? `≥${r.target.ratio}× ${r.target.peer}${r.target.met === undefined ? '' : r.target.met ? ' (met)' : ' (not met)'}` : '';
  process.stdout.write(line([r.case, ms(r.ours), ms(r.oursSingle), ms(r.peers.cpu), ms(r.peers.wasm), ratio(r.ratios.cpu), ratio(r.ratios.wasm), t]) + '\n');
}

// ------------------------------------------------------------ main

let startLoad = 0;

async function main(): Promise<void> {
  const cpu = cpus();
  startLoad = Number(loadavg()[0].toFixed(2));
  process.stdout.write(
    `dnnc CPU benchmark: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}, TF.js ${tf.version.tfjs}` +
      `${quick ? ' (quick)' : ''}, dnnc on ${threads} thread${threads > 1 ? 's' : ''}, load average ${loadavg()[0].toFixed(1)}\nmedians of benchmark.js samples; "vs" = peer time / dnnc time (> 1: dnnc is faster)\n\n`,
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
      trainTarget: { peer: 'cpu', ratio: 100 },
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
      trainTarget: { peer: 'wasm', ratio: 1 },
    });
  if (only.has('matmul')) await matmulCase();

  const result = {
    date: new Date().toISOString(),
    quick,
    threads,
    /** the 1-minute load average at the start and the end of the run (the machine is shared) */
    loadAverage: [startLoad, Number(loadavg()[0].toFixed(2))],
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    peers: { tfjs: tf.version.tfjs, backends: peerNames },
    batch: BATCH,
    compileMs: Object.fromEntries(Object.entries(compileTimes).map(([k, v]) => [k, Math.round(v)])),
    rows: rows.map((r) => ({
      ...r,
      ours: roundOutcome(r.ours),
      ...(r.oursSingle ? { oursSingle: roundOutcome(r.oursSingle) } : {}),
      peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, roundOutcome(v)])),
      ratios: Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, Number(v.toPrecision(3))])),
    })),
  };
  process.stdout.write(`\ncompile times: ${Object.entries(result.compileMs).map(([k, v]) => `${k} ${v} ms`).join(', ') || '-'}\n`);
  for (const r of rows)
    for (const [who, o] of [['dnnc', r.ours], ...Object.entries(r.peers)] as [string, Outcome][])
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
