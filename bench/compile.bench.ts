/**
 * The edit-run loop: how long `dnnc compile` takes on each example and how
 * big the generated modules are.
 *
 * Per example .dnn: the in-process phases (parse + lower + passes in
 * compileSource; planning, kernels and text in emitModule) timed over
 * several runs in one process (median, after one warm-up run), then the CLI
 * as a user runs it (`dnnc compile` in a fresh Node process, through the
 * built dist/, median of 3 runs, start-up included), and the size of the
 * emitted .ts and .js. Times are CPU time (user + system) of one thread of
 * work, so a busy shared machine inflates them less than wall time; the
 * CLI's wall time is printed beside its CPU time. Results go to bench/results/<timestamp>-compile.json
 * (never overwriting another run).
 *
 *   node --import tsx bench/compile.bench.ts [--runs 5] [examples/mnist/mnist.dnn ...]
 */
import '../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSource } from '../compiler/compile.js';
import { emitModule } from '../codegen/module/emit.js';
import { freshResultsPath } from './results-path.js';
import { median } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const given = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));
const files = given.length
  ? given
  : readdirSync(join(root, 'examples'))
      .flatMap((d) => (existsSync(join(root, 'examples', d)) && !d.includes('.') ? readdirSync(join(root, 'examples', d)).filter((f) => f.endsWith('.dnn')).map((f) => `examples/${d}/${f}`) : []))
      .sort();

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
/** CPU milliseconds (user + system) of this process since `c0` */
const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
};
/** CPU milliseconds of a child process, as bash's `times` reports its children's user and system time */
function childCpuMs(cmd: string[]): number {
  const script = '"$@" >/dev/null 2>&1 || exit 1; times';
  const report = execFileSync('bash', ['-c', script, 'bash', ...cmd], { encoding: 'utf8' }).trim().split('\n')[1];
  const secs = [...report.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return (secs[0] + secs[1]) * 1000;
}

const cli = join(root, 'dist/cli/dnnc.js');
if (!existsSync(cli)) throw new Error('bench/compile.bench.ts: dist/ is missing; run `npm run build` first');
const out = mkdtempSync(join(tmpdir(), 'dnnc-compile-'));
const rows: Record<string, unknown>[] = [];
console.log(`compile CPU times (median of ${RUNS} in process, 3 CLI runs) and module sizes`);
console.log('file'.padEnd(40), 'compile ms'.padStart(11), 'emit ms'.padStart(9), 'CLI ms'.padStart(8), 'CLI wall'.padStart(9), '.ts KB'.padStart(8), '.js KB'.padStart(8));
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const compileMs: number[] = [];
  const emitMs: number[] = [];
  let tsBytes = 0;
  let jsBytes = 0;
  for (let r = 0; r <= RUNS; r++) {
    let c0 = process.cpuUsage();
    const res = compileSource(text, file);
    const c = cpuMs(c0);
    if (!res.file) throw new Error(`${file} does not compile`);
    c0 = process.cpuUsage();
    const ts = emitModule(res.file, { emit: 'ts', sourceName: 'm' }).files[0];
    const e = cpuMs(c0);
    if (r > 0) {
      compileMs.push(c);
      emitMs.push(e);
    }
    tsBytes = ts.text.length;
  }
  const js = emitModule(compileSource(text, file).file!, { emit: 'js', sourceName: 'm' }).files.find((f) => f.name.endsWith('.js'));
  jsBytes = js ? js.text.length : 0;
  const cliMs: number[] = [];
  const cliWallMs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const dir = join(out, String(r));
    mkdirSync(dir, { recursive: true });
    const t0 = process.hrtime.bigint();
    cliMs.push(childCpuMs([process.execPath, cli, 'compile', join(root, file), '-o', dir]));
    cliWallMs.push(ms(t0));
  }
  const row = { file, compileMs: median(compileMs), emitMs: median(emitMs), cliMs: median(cliMs), cliWallMs: median(cliWallMs), tsBytes, jsBytes };
  rows.push(row);
  console.log(
    file.padEnd(40),
    row.compileMs.toFixed(0).padStart(11),
    row.emitMs.toFixed(0).padStart(9),
    row.cliMs.toFixed(0).padStart(8),
    row.cliWallMs.toFixed(0).padStart(9),
    (tsBytes / 1024).toFixed(0).padStart(8),
    (jsBytes / 1024).toFixed(0).padStart(8),
  );
}
rmSync(out, { recursive: true, force: true });
const resultsDir = join(root, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const path = freshResultsPath(resultsDir, 'compile');
writeFileSync(path, JSON.stringify({ date: new Date().toISOString(), runs: RUNS, node: process.version, rows }, null, 2));
console.log(`results: ${path.slice(root.length + 1)}`);
