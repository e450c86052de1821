/**
 * Fused vs -O0: the same bench models compiled with and without fusion and
 * buffer reuse, timed in the same run on each available backend, with their
 * dispatches and planned memory per step.
 *
 *   npm run bench:fusion [-- --quick] [-- --backend cpu|webgpu] [-- --out=PATH|-]
 *
 * Both sides are timed the same way (measurePair in bench/measure.ts): the
 * same warm-up, the same number of samples of the same number of calls, the
 * same wall clock, their samples interleaved; the medians are compared.
 *
 * Prints a table and writes bench/results/<date>T<hhmm>-fusion.json (a new
 * file per run; --out=PATH there instead, --out=- none). On a machine
 * without a GPU, webgpu runs on SwiftShader: a functional check, no speed claim.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { programFromModel } from '../codegen/module/plan-model.js';
import { fileStats } from '../codegen/stats.js';
import { compileSource } from '../compiler/compile.js';
import { instantiate, type Model } from '../runtime/index.js';
import { measurePair, type Timing } from './measure.js';
import { freshResultsPath } from './results-path.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : undefined;
const backends = (only ? [only] : ['cpu', 'webgpu']) as ('cpu' | 'webgpu')[];
const outArg = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const BATCH = 64;

function rand(n: number, seed: number, int = 0): Float32Array | Int32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  return int ? Int32Array.from({ length: n }, () => Math.floor(next() * int)) : Float32Array.from({ length: n }, () => next() * 2 - 1);
}

const models: { file: string; batch: Record<string, Float32Array | Int32Array> }[] = [
  { file: 'bench/models/lenet5.dnn', batch: { image: rand(BATCH * 784, 1), label: rand(BATCH, 2, 10) } },
  { file: 'bench/models/mlp784.dnn', batch: { image: rand(BATCH * 784, 3), label: rand(BATCH, 4, 10) } },
];

interface Row {
  model: string;
  backend: string;
  entry: 'trainStep' | 'predict';
  fused: Timing;
  O0: Timing;
  speedup: number;
  dispatches: { fused: number; O0: number };
  peakBytes: { fused: number; O0: number };
}

const rows: Row[] = [];
const skipped: string[] = [];
for (const m of models) {
  const res = compileSource(readFileSync(m.file, 'utf8'), m.file);
  if (!res.file) throw new Error(`${m.file} does not compile: ${res.diagnostics.map((d) => d.message).join('; ')}`);
  const spec = res.file.models[0];
  const stats = { fused: fileStats(res.file, { optimize: true, batch: BATCH })[spec.name], O0: fileStats(res.file, { optimize: false, batch: BATCH })[spec.name] };
  const inputs = Object.fromEntries(spec.inputs.map((i) => [i.name, m.batch[i.name]]));
  for (const backend of backends) {
    let fused: Model;
    let plain: Model;
    try {
      fused = await instantiate(programFromModel(spec), { backend, seed: 1 });
      plain = await instantiate(programFromModel(spec, { fuse: false, reuse: false }), { backend, seed: 1 });
    } catch (e) {
      skipped.push(`${spec.name} on ${backend}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const entry of ['trainStep', 'predict'] as const) {
      const run = (model: Model) => (entry === 'trainStep' ? () => model.trainStep(m.batch) : () => model.predict(inputs));
      // one measurement each, the same way, samples interleaved (no best-of-two for either side)
      const [f, b] = await measurePair(run(fused), run(plain), quick);
      rows.push({
        model: spec.name,
        backend,
        entry,
        fused: f,
        O0: b,
        speedup: b.median / f.median,
        dispatches: { fused: stats.fused[entry].dispatches, O0: stats.O0[entry].dispatches },
        peakBytes: { fused: stats.fused[entry].peakBytes, O0: stats.O0[entry].peakBytes },
      });
    }
    fused.dispose();
    plain.dispose();
  }
}

const ms = (t: Timing) => (t.median * 1000).toFixed(2).padStart(9);
const header = `fused vs -O0, batch ${BATCH}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}; medians of ${quick ? 5 : 15} interleaved wall-clock samples per side, the same warm-up and calls per sample for both\n`;
const lines = [
  header,
  'model    backend  entry       fused ms    -O0 ms  speedup  dispatches (fused/-O0)  temp MB (fused/-O0)',
  ...rows.map(
    (r) =>
      `${r.model.padEnd(8)} ${r.backend.padEnd(8)} ${r.entry.padEnd(10)} ${ms(r.fused)} ${ms(r.O0)}  ${r.speedup.toFixed(2).padStart(6)}x  ${`${r.dispatches.fused}/${r.dispatches.O0}`.padStart(22)}  ${`${(r.peakBytes.fused / 1e6).toFixed(1)}/${(r.peakBytes.O0 / 1e6).toFixed(1)}`.padStart(19)}`,
  ),
  ...skipped.map((s) => `skipped: ${s}`),
];
process.stdout.write(lines.join('\n') + '\n');
if (outArg !== '-') {
  const out = outArg ?? freshResultsPath('bench/results', 'fusion');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), batch: BATCH, loadavg: loadavg()[0], timing: { method: 'measurePair (bench/measure.ts)', quick }, rows, skipped }, null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}
