/**
 * A fuzz campaign: `n` inputs, each a seed mutated by a generator derived
 * from (seed, index), so a campaign is the same whatever the number of
 * workers. Each input is classified ok / diagnostic / crash / hang /
 * bad-location; each new bug signature is minimized and, when asked, saved
 * into the corpus (test/fuzz/corpus/), where corpus.test.ts replays it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimize } from './minimize.js';
import { mutate, vocabulary, type MutationContext } from './mutate.js';
import type { Kind } from './oracle.js';
import { DEFAULT_BUDGETS, Pool, verdict, type Budgets, type Outcome } from './pool.js';
import { Rng } from './rng.js';
import { loadSeeds, root } from './seeds.js';

export interface CampaignOptions {
  n: number;
  seed: number;
  /** worker threads (default 1) */
  jobs?: number;
  budgets?: Budgets;
  /** run the codegen stage on every k-th input that compiles (default 1: all) */
  codegenEvery?: number;
  /** shrink each new finding (default true) */
  minimize?: boolean;
  /** write minimized findings into test/fuzz/corpus/ (default false) */
  save?: boolean;
  /** called about every `progressEvery` inputs */
  onProgress?: (done: number, report: CampaignReport) => void;
  progressEvery?: number;
  /** called for each new signature as it is found (before minimization) */
  onFinding?: (f: Finding) => void;
  /** stop taking new inputs after this many seconds (the report then covers the inputs that ran) */
  maxSeconds?: number;
}

export interface Finding {
  kind: Kind;
  signature: string;
  detail: string;
  /** how many inputs hit it */
  count: number;
  /** the first input that hit it: its index, seed file and mutations */
  index: number;
  from: string;
  mutations: string[];
  input: string;
  minimized?: string;
  saved?: string;
  stack?: string;
}

export interface CampaignReport {
  seed: number;
  /** inputs run */
  n: number;
  /** inputs asked for (more than n when maxSeconds stopped the campaign) */
  planned: number;
  counts: Record<Kind, number>;
  /** inputs that reached the codegen stage */
  generated: number;
  findings: Finding[];
  seconds: number;
  /** slowest stages seen, ms (the worker thread's CPU time on Linux, else wall time) */
  slowest: { compile: number; codegen: number };
}

const BAD: Kind[] = ['crash', 'hang', 'bad-location'];

export const corpusDir = join(root, 'test', 'fuzz', 'corpus');

/** Save a minimized finding as corpus/<kind>-<hash>.dnn with a .json note beside it. */
function save(f: Finding, seed: number): string {
  mkdirSync(corpusDir, { recursive: true });
  const text = f.minimized ?? f.input;
  const id = `${f.kind}-${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
  const path = join(corpusDir, `${id}.dnn`);
  if (!existsSync(path)) {
    writeFileSync(path, text);
    writeFileSync(join(corpusDir, `${id}.json`), JSON.stringify({ kind: f.kind, signature: f.signature, detail: f.detail, found: { seed, index: f.index, from: f.from, mutations: f.mutations } }, null, 2) + '\n');
  }
  return path;
}

/** Input `index` of a campaign: the same seed file, mutations and text whatever else ran. */
function makeInput(base: Rng, index: number, cx: MutationContext, every: number) {
  const rng = base.fork(index);
  const seed = rng.pick(cx.seeds);
  const { text, applied } = mutate(seed.text, rng, cx);
  // whether this input gets code generation is decided before it runs: the same inputs in every run
  const wantCodegen = rng.int(every) === 0;
  return { seed, text, applied, wantCodegen };
}

/**
 * Input `index` of the campaign of `seed`, regenerated to reproduce a
 * finding. The inputs depend on the seed files (examples, docs, corpus) as
 * they are now: replay a campaign's input on the commit it ran on.
 */
export function campaignInput(seed: number, index: number): { from: string; mutations: string[]; text: string } {
  const seeds = loadSeeds();
  const { seed: from, text, applied } = makeInput(new Rng(seed), index, { seeds, words: vocabulary(seeds) }, 1);
  return { from: from.name, mutations: applied, text };
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const seeds = loadSeeds();
  const cx = { seeds, words: vocabulary(seeds) };
  const pool = new Pool(options.jobs ?? 1, options.budgets ?? DEFAULT_BUDGETS);
  const every = Math.max(1, options.codegenEvery ?? 1);
  const report: CampaignReport = { seed: options.seed, n: 0, planned: options.n, counts: { ok: 0, diagnostic: 0, crash: 0, hang: 0, 'bad-location': 0 }, generated: 0, findings: [], seconds: 0, slowest: { compile: 0, codegen: 0 } };
  const bySignature = new Map<string, Finding>();
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const base = new Rng(options.seed);

  const one = async (index: number): Promise<void> => {
    const { seed, text, applied, wantCodegen } = makeInput(base, index, cx, every);
    const outcome = await pool.run(text, wantCodegen);
    if (outcome.codegen) report.generated++;
    report.slowest.compile = Math.max(report.slowest.compile, outcome.ms.compile ?? 0);
    report.slowest.codegen = Math.max(report.slowest.codegen, outcome.ms.codegen ?? 0);
    const v = verdict(outcome);
    report.counts[v.kind]++;
    if (BAD.includes(v.kind)) {
      const signature = v.signature ?? `${v.kind} ?`;
      const known = bySignature.get(signature);
      if (known) known.count++;
      else {
        const f: Finding = { kind: v.kind, signature, detail: v.detail ?? '', count: 1, index, from: seed.name, mutations: applied, input: text, stack: v.stack };
        bySignature.set(signature, f);
        report.findings.push(f);
        options.onFinding?.(f);
      }
    }
    done++;
    report.n = done;
    if (options.onProgress && done % (options.progressEvery ?? 500) === 0) options.onProgress(done, report);
  };

  const stopAt = options.maxSeconds !== undefined ? t0 + options.maxSeconds * 1000 : Infinity;
  const lane = async () => {
    while (next < options.n && performance.now() < stopAt) await one(next++);
  };
  try {
    await Promise.all(Array.from({ length: options.jobs ?? 1 }, lane));
    if (options.minimize ?? true)
      for (const f of report.findings) {
        const same = async (t: string) => {
          const o: Outcome = await pool.run(t, true);
          return verdict(o).signature === f.signature;
        };
        f.minimized = await minimize(f.input, same, f.kind === 'hang' ? 20 : 300);
        if (options.save) f.saved = save(f, options.seed);
      }
  } finally {
    await pool.close();
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** A few lines for people: the counts, then each finding. */
export function summary(r: CampaignReport): string {
  const c = r.counts;
  const lines = [
    `fuzz: seed ${r.seed}, ${r.n}${r.n < r.planned ? ` of ${r.planned} (stopped by the time limit)` : ''} inputs in ${r.seconds.toFixed(0)} s: ${c.ok} ok, ${c.diagnostic} diagnostic, ${c.crash} crash, ${c.hang} hang, ${c['bad-location']} bad-location; ${r.generated} through code generation; slowest compile ${r.slowest.compile.toFixed(0)} ms, codegen ${r.slowest.codegen.toFixed(0)} ms (CPU)`,
  ];
  for (const f of r.findings) {
    lines.push(`  ${f.kind} ×${f.count}: ${f.detail}`, `    signature: ${f.signature}`, `    first: input ${f.index} from ${f.from} (${f.mutations.join(', ')})`);
    if (f.saved) lines.push(`    saved: ${f.saved}`);
    else if (f.minimized !== undefined) lines.push(`    minimized (${f.minimized.length} chars): ${JSON.stringify(f.minimized.slice(0, 300))}`);
  }
  return lines.join('\n');
}
