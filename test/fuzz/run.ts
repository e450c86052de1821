/**
 * `npm run fuzz -- [--n 100000] [--seed S] [--jobs J] [--codegen-every K] [--compile-ms C] [--per-kilochar-ms K] [--codegen-ms G] [--per-operation-ms P] [--minutes M] [--save] [--no-minimize] [--json FILE]`
 * `npm run fuzz -- --seed S --input I [--out FILE]`
 *
 * Runs a campaign and prints its figures; exits 1 when it found a crash, a
 * hang or a bad location. --minutes stops taking new inputs after M minutes
 * (the figures then cover the inputs that ran). --save writes the minimized findings into
 * test/fuzz/corpus/ (commit them with the fix: corpus.test.ts replays them).
 * --input I regenerates input I of the campaign of --seed (on the commit the
 * campaign ran on: the inputs depend on the seed files), prints it or writes
 * it to --out, and runs it alone through the oracle.
 */
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { campaignInput, runCampaign, summary } from './campaign.js';
import { DEFAULT_BUDGETS, Pool, verdict } from './pool.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, d: number) => {
  const v = flag(name);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} expects a number, got '${v}'`);
  return n;
};

const n = num('n', 3000);
const seed = num('seed', Date.now() % 1_000_000);

const budgets = {
  compile: num('compile-ms', DEFAULT_BUDGETS.compile),
  perKiloChar: num('per-kilochar-ms', DEFAULT_BUDGETS.perKiloChar!),
  codegen: num('codegen-ms', DEFAULT_BUDGETS.codegen),
  perOperation: num('per-operation-ms', DEFAULT_BUDGETS.perOperation!),
};

// --input I: replay one input of the campaign of --seed (its text to --out, or stdout) and run it alone
if (flag('input') !== undefined) {
  const index = num('input', 0);
  const input = campaignInput(seed, index);
  const out = flag('out');
  if (out) writeFileSync(out, input.text);
  else console.log(input.text);
  console.log(`input ${index} of seed ${seed}: from ${input.from} (${input.mutations.join(', ')}), ${input.text.length} characters${out ? `, written to ${out}` : ''}`);
  const pool = new Pool(1, budgets);
  try {
    const o = await pool.run(input.text, true);
    const v = verdict(o);
    console.log(`${v.kind}${v.detail ? `: ${v.detail}` : ''} (compile ${o.ms.compile?.toFixed(0) ?? '-'} ms, codegen ${o.ms.codegen?.toFixed(0) ?? '-'} ms)`);
    if (v.stack) console.log(v.stack);
    process.exitCode = v.kind === 'ok' || v.kind === 'diagnostic' ? 0 : 1;
  } finally {
    await pool.close();
  }
  process.exit();
}
const jobs = num('jobs', Math.max(1, availableParallelism() - 1));
const report = await runCampaign({
  n,
  seed,
  jobs,
  codegenEvery: num('codegen-every', 1),
  budgets,
  minimize: !process.argv.includes('--no-minimize'),
  ...(flag('minutes') !== undefined ? { maxSeconds: num('minutes', 0) * 60 } : {}),
  save: process.argv.includes('--save'),
  progressEvery: Math.max(100, Math.round(n / 50)),
  onFinding: (f) => console.log(`new ${f.kind}: ${f.detail} (input ${f.index} from ${f.from}: ${f.mutations.join(', ')})`),
  onProgress: (done, r) => {
    const c = r.counts;
    console.log(`${done}/${n} (${((performance.now() / 1000) | 0)} s): ${c.ok} ok, ${c.diagnostic} diagnostic, ${c.crash} crash, ${c.hang} hang, ${c['bad-location']} bad-location, ${r.findings.length} signatures`);
  },
});
console.log(summary(report));
const json = flag('json');
if (json) writeFileSync(json, JSON.stringify({ ...report, findings: report.findings.map(({ input, stack, ...f }) => ({ ...f, inputChars: input.length, stack: stack?.split('\n').slice(0, 8).join('\n') })) }, null, 2) + '\n');
process.exit(report.findings.length ? 1 : 0);
