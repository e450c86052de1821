/**
 * `npm run fuzz -- [--n 100000] [--seed S] [--jobs J] [--codegen-every K] [--minutes M] [--save] [--no-minimize] [--json FILE]`
 *
 * Runs a campaign and prints its figures; exits 1 when it found a crash, a
 * hang or a bad location. --minutes stops taking new inputs after M minutes
 * (the figures then cover the inputs that ran). --save writes the minimized findings into
 * test/fuzz/corpus/ (commit them with the fix: corpus.test.ts replays them).
 */
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { runCampaign, summary } from './campaign.js';
import { DEFAULT_BUDGETS } from './pool.js';

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
const jobs = num('jobs', Math.max(1, availableParallelism() - 1));
const report = await runCampaign({
  n,
  seed,
  jobs,
  codegenEvery: num('codegen-every', 1),
  budgets: { compile: num('compile-ms', DEFAULT_BUDGETS.compile), codegen: num('codegen-ms', DEFAULT_BUDGETS.codegen) },
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
