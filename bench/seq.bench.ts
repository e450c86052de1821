/**
 * Sequence-model benchmarks: one training step of a Transformer and of an
 * LSTM, dnnc (cpu backend) against TF.js (cpu and wasm backends) building the
 * same networks, in the same run on the same machine. `npm run bench:seq`.
 *
 * Cases (batch 32):
 *   transformer.train  one Adam step of bench/models/transformer.dnn: a causal
 *                      Transformer LM, vocabulary 64, 64 positions, D = 128,
 *                      4 pre-layernorm blocks (4 heads, relu MLP of 512),
 *                      learned positions; loss = mean cross-entropy over B × T.
 *                      TF.js: the same network written with tf ops (TF.js
 *                      layers have no multi-head attention): dense = matMul
 *                      over [B·T, D] + bias, layernorm from tf.moments
 *                      (eps 1e-5), causal mask as a -1e9 bias, tf.softmax.
 *   lstm.train         one Adam step of bench/models/lstm.dnn: 32 steps of 32
 *                      features -> LSTM(128), last state -> dense(10).
 *                      TF.js: tf.layers.lstm (recurrentActivation sigmoid,
 *                      unitForgetBias, as ours) + tf.layers.dense.
 * Inputs are seeded; both sides start from freshly initialised weights and
 * read the loss back to the host every step.
 *
 * The TF.js embedding is tf.gather where the backend can train it; TF.js
 * wasm has no UnsortedSegmentSum kernel (gather's gradient), so there the
 * embedding is a one-hot matMul (same values and gradient; noted in the row).
 *
 * Timing: warm-up calls (compile, JIT, allocation), then N steps timed one
 * by one; the median is reported, and the ratio peer / ours (> 1: ours is
 * faster). TF.js cpu is slow on these sizes: it takes few samples.
 *
 * Output: a table on stdout, JSON in bench/results/<date>T<hhmm>-seq.json (a new
 * file per run: bench/results-path.ts).
 *
 * Options:
 *   --only=transformer,lstm   run these cases only (default: both)
 *   --peers=cpu,wasm          which TF.js backends (default: both; --peers= for none)
 *   --samples=N               timed steps of ours and TF.js wasm (default 7)
 *   --cpu-samples=N           timed steps of TF.js cpu (default 3)
 *   --quick                   3 samples each, 1 for TF.js cpu (a smoke run; the JSON is marked quick)
 *   --out=PATH                write the JSON there instead ("-": do not write)
 *   --threads=N               our CPU backend's threads (default: its default; 1: none)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileSource } from '../compiler/compile.js';
import { programFromModel } from '../codegen/module/plan-model.js';
import { instantiate } from '../runtime/index.js';
import { Rng } from '../runtime/data/random.js';
import type { Model, TensorInput } from '../runtime/types.js';
import { resolveThreads } from '../runtime/threads.js';
import { freshResultsPath } from './results-path.js';
import { median } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const B = 32;
/** transformer */
const TF = { V: 64, T: 64, D: 128, H: 4, L: 4, F: 512 };
/** lstm */
const LS = { T: 32, I: 32, U: 128, C: 10 };

// ------------------------------------------------------------ options

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = argv.includes('--quick');
const only = new Set((opt('only') ?? 'transformer,lstm').split(',').filter(Boolean));
type PeerName = 'cpu' | 'wasm';
const peerNames = (opt('peers') ?? 'cpu,wasm').split(',').filter(Boolean) as PeerName[];
const samples = Number(opt('samples') ?? (quick ? 3 : 7));
const cpuSamples = Number(opt('cpu-samples') ?? (quick ? 1 : 3));
const outPath = opt('out') ?? freshResultsPath(join(here, 'results'), 'seq');
const threads = resolveThreads(opt('threads') !== undefined ? Number(opt('threads')) : undefined);

// ------------------------------------------------------------ measuring

interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
  warmup: number;
}
type Outcome = { status: 'ok'; timing: Timing; note?: string } | { status: 'failed' | 'n/a'; reason: string };

async function measure(fn: () => unknown | Promise<unknown>, n: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  const r = (x: number) => Number(x.toPrecision(4));
  return { medianMs: r(median(t)), minMs: r(Math.min(...t)), maxMs: r(Math.max(...t)), samples: n, warmup };
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0] : String(e));
const failed = (e: unknown): Outcome => ({ status: 'failed', reason: reasonOf(e) });

// ------------------------------------------------------------ data

function seededTokens(n: number, hi: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => Math.min(hi - 1, Math.floor(rng.next() * hi)));
}
function seededFloats(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

const transformerData = () => ({ tokens: seededTokens(B * TF.T, TF.V, 1), label: seededTokens(B * TF.T, TF.V, 2) });
const lstmData = () => ({ x: seededFloats(B * LS.T * LS.I, 3), label: seededTokens(B, LS.C, 4) });

// ------------------------------------------------------------ our side

async function ours(file: string): Promise<{ model: Model; compileMs: number }> {
  const path = join(here, 'models', file);
  const t0 = performance.now();
  const res = compileSource(readFileSync(path, 'utf8'), path);
  const compileMs = performance.now() - t0;
  if (!res.file) throw new Error(`bench/models/${file} does not compile: ${res.diagnostics[0]?.code}: ${res.diagnostics[0]?.message}`);
  const model = await instantiate(programFromModel(res.file.models[0]), { seed: 1, backend: 'cpu', threads });
  return { model, compileMs };
}

// ------------------------------------------------------------ TF.js

async function useBackend(name: PeerName): Promise<void> {
  // TF.js greets Node users on the console when a backend starts: keep the table readable
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(name))) throw new Error(`TF.js backend '${name}' did not start`);
    await tf.ready();
    tf.scalar(0).dispose();
  } finally {
    Object.assign(console, { log, warn });
  }
}

interface Peer {
  step: () => void;
  dispose: () => void;
}

const glorot = (shape: [number, number]) => tf.variable(tf.randomUniform(shape, -Math.sqrt(6 / (shape[0] + shape[1])), Math.sqrt(6 / (shape[0] + shape[1])), 'float32', 1));

/** The Transformer of bench/models/transformer.dnn with tf ops; `oneHotEmbedding`: embedding as oneHot @ table. */
function tfTransformer(oneHotEmbedding: boolean): Peer {
  const { V, T, D, H, L, F } = TF;
  const Dh = D / H;
  const vars: tf.Variable[] = [];
  const v = (t: tf.Variable) => (vars.push(t), t);
  const dense = (i: number, o: number) => ({ w: v(glorot([i, o])), b: v(tf.variable(tf.zeros([o]))) });
  const norm = () => ({ g: v(tf.variable(tf.ones([D]))), b: v(tf.variable(tf.zeros([D]))) });
  const embed = v(tf.variable(tf.randomNormal([V, D], 0, 0.02, 'float32', 2)));
  const pos = v(tf.variable(tf.randomNormal([T, D], 0, 0.02, 'float32', 3)));
  const layers = Array.from({ length: L }, () => ({ ln1: norm(), q: dense(D, D), k: dense(D, D), v: dense(D, D), o: dense(D, D), ln2: norm(), f1: dense(D, F), f2: dense(F, D) }));
  const lnOut = norm();
  const head = dense(D, V);
  const data = transformerData();
  const tokens = tf.tensor1d(data.tokens, 'int32');
  const labels = tf.oneHot(tf.tensor1d(data.label, 'int32'), V);
  const tokensHot = oneHotEmbedding ? tf.oneHot(tokens, V).toFloat() : undefined;
  // 0 on and below the diagonal, -1e9 above (causal)
  const causal = tf.tidy(() => tf.mul(tf.cast(tf.greater(tf.range(0, T).reshape([1, T]), tf.range(0, T).reshape([T, 1])), 'float32'), -1e9));
  const optimizer = tf.train.adam(1e-3);

  const lin = (x: tf.Tensor2D, d: { w: tf.Variable; b: tf.Variable }) => tf.add(tf.matMul(x, d.w as tf.Tensor2D), d.b) as tf.Tensor2D;
  const layernorm = (x: tf.Tensor2D, n: { g: tf.Variable; b: tf.Variable }) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), n.g), n.b) as tf.Tensor2D;
  };
  const split = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [B, T, H, Dh]), [0, 2, 1, 3]);
  const loss = (): tf.Scalar => {
    const e = oneHotEmbedding ? tf.matMul(tokensHot as tf.Tensor2D, embed as tf.Tensor2D) : tf.gather(embed, tokens);
    let h = tf.reshape(tf.add(tf.reshape(e, [B, T, D]), pos), [B * T, D]) as tf.Tensor2D;
    for (const l of layers) {
      const x = layernorm(h, l.ln1);
      const scores = tf.add(tf.mul(tf.matMul(split(lin(x, l.q)), split(lin(x, l.k)), false, true), 1 / Math.sqrt(Dh)), causal);
      const o = tf.matMul(tf.softmax(scores), split(lin(x, l.v)));
      const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
      h = tf.add(h, lin(merged, l.o));
      h = tf.add(h, lin(tf.relu(lin(layernorm(h, l.ln2), l.f1)), l.f2));
    }
    const logits = lin(layernorm(h, lnOut), head);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  return {
    step: () => {
      const cost = optimizer.minimize(loss, true, vars);
      cost!.dataSync();
      cost!.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      for (const t of [...vars, tokens, labels, causal, ...(tokensHot ? [tokensHot] : [])]) t.dispose();
    },
  };
}

function tfLstm(): Peer {
  const net = tf.sequential({
    layers: [
      tf.layers.lstm({ inputShape: [LS.T, LS.I], units: LS.U, recurrentActivation: 'sigmoid', unitForgetBias: true, recurrentInitializer: 'glorotUniform' }),
      tf.layers.dense({ units: LS.C }),
    ],
  });
  const data = lstmData();
  const x = tf.tensor3d(data.x, [B, LS.T, LS.I]);
  const y = tf.oneHot(tf.tensor1d(data.label, 'int32'), LS.C);
  const optimizer = tf.train.adam(1e-3);
  return {
    step: () => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      cost!.dataSync();
      cost!.dispose();
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
  peers: Partial<Record<PeerName, Outcome>>;
  /** peer median / our median: > 1 means ours is faster */
  ratios: Partial<Record<PeerName, number>>;
}
const rows: Row[] = [];
const compileMs: Record<string, number> = {};

async function timePeer(p: PeerName, build: (fallback: boolean) => Peer, fallbackNote?: string): Promise<Outcome> {
  const n = p === 'cpu' ? cpuSamples : samples;
  const warm = p === 'cpu' ? 1 : 2;
  let peer = build(false);
  try {
    try {
      peer.step(); // the first step fails fast when a kernel is missing
    } catch (e) {
      if (!fallbackNote) throw e;
      peer.dispose();
      peer = build(true);
      const timing = await measure(peer.step, n, warm);
      return { status: 'ok', timing, note: `${fallbackNote} (${reasonOf(e)})` };
    }
    // the step above was the first warm-up call
    return { status: 'ok', timing: { ...(await measure(peer.step, n, warm - 1)), warmup: warm } };
  } catch (e) {
    return failed(e);
  } finally {
    peer.dispose();
  }
}

async function seqCase(id: string, file: string, what: string, batch: Record<string, TensorInput>, build: (fallback: boolean) => Peer, fallbackNote?: string): Promise<void> {
  let mine: Outcome;
  try {
    const o = await ours(file);
    compileMs[file] = Math.round(o.compileMs);
    try {
      mine = { status: 'ok', timing: await measure(() => o.model.trainStep(batch), samples, 2) };
    } finally {
      o.model.dispose();
    }
  } catch (e) {
    mine = failed(e);
  }
  const peers: Row['peers'] = {};
  for (const p of peerNames) {
    await useBackend(p);
    peers[p] = await timePeer(p, build, fallbackNote);
  }
  const ratios: Row['ratios'] = {};
  if (mine.status === 'ok') for (const [p, o] of Object.entries(peers) as [PeerName, Outcome][]) if (o.status === 'ok') ratios[p] = Number((o.timing.medianMs / mine.timing.medianMs).toPrecision(3));
  const row = { case: id, what, ours: mine, peers, ratios };
  rows.push(row);
  printRow(row);
}

// ------------------------------------------------------------ printing

function ms(o: Outcome | undefined): string {
  if (!o) return '-';
  if (o.status !== 'ok') return o.status;
  const t = o.timing.medianMs;
  return `${t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2)} ms${o.note ? '*' : ''}`;
}
const ratio = (x: number | undefined) => (x === undefined ? '-' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);
const widths = [18, 12, 14, 14, 8, 8];
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd();

function printRow(r: Row): void {
  process.stdout.write(line([r.case, ms(r.ours), ms(r.peers.cpu), ms(r.peers.wasm), ratio(r.ratios.cpu), ratio(r.ratios.wasm)]) + '\n');
}

// ------------------------------------------------------------ main

async function main(): Promise<void> {
  const cpu = cpus();
  const startLoad = Number(loadavg()[0].toFixed(2));
  process.stdout.write(
    `dnnc sequence-model benchmark: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}, TF.js ${tf.version.tfjs}` +
      `${quick ? ' (quick)' : ''}, dnnc cpu backend on ${threads} thread${threads > 1 ? 's' : ''}, load average ${startLoad}\n` +
      `medians of ${samples} steps (TF.js cpu: ${cpuSamples}); "vs" = peer time / dnnc time (> 1: dnnc is faster)\n\n`,
  );
  process.stdout.write(`${line(['case', 'dnnc', 'tfjs cpu', 'tfjs wasm', 'vs cpu', 'vs wasm'])}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  if (only.has('transformer')) {
    const d = transformerData();
    await seqCase(
      'transformer.train',
      'transformer.dnn',
      `causal Transformer LM (V ${TF.V}, T ${TF.T}, D ${TF.D}, ${TF.H} heads, ${TF.L} layers, MLP ${TF.F}): one Adam step, batch ${B}`,
      { tokens: { data: d.tokens, shape: [B, TF.T] }, label: { data: d.label, shape: [B, TF.T] } },
      tfTransformer,
      'embedding as a one-hot matMul: the backend cannot train tf.gather',
    );
  }
  if (only.has('lstm')) {
    const d = lstmData();
    await seqCase(
      'lstm.train',
      'lstm.dnn',
      `LSTM(${LS.U}) over ${LS.T} steps of ${LS.I} features, last state -> dense(${LS.C}): one Adam step, batch ${B}`,
      { x: { data: d.x, shape: [B, LS.T, LS.I] }, label: { data: d.label, shape: [B] } },
      () => tfLstm(),
    );
  }
  for (const r of rows)
    for (const [who, o] of [['dnnc', r.ours], ...Object.entries(r.peers)] as [string, Outcome][])
      if (o.status !== 'ok') process.stdout.write(`${r.case} ${who}: ${o.status}: ${o.reason}\n`);
      else if (o.note) process.stdout.write(`* ${r.case} ${who}: ${o.note}\n`);
  process.stdout.write(`compile times: ${Object.entries(compileMs).map(([k, v]) => `${k} ${v} ms`).join(', ') || '-'}\n`);
  const result = {
    date: new Date().toISOString(),
    quick,
    threads,
    loadAverage: [startLoad, Number(loadavg()[0].toFixed(2))],
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    peers: { tfjs: tf.version.tfjs, backends: peerNames },
    batch: B,
    samples: { ours: samples, wasm: samples, cpu: cpuSamples },
    compileMs,
    rows,
  };
  if (outPath !== '-') {
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`wrote ${outPath}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
