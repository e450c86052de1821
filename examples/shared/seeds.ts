/**
 * Runs an example's main.ts once per seed and reports the spread, as the
 * examples' READMEs quote their results (`dnnc train --seeds` does the same
 * for the examples trained by the CLI):
 *
 *   npx tsx examples/shared/seeds.ts cartpole-dqn 1,2,3 [-- extra args for main.ts]
 *
 * Each seed runs in its own process (`main.ts --json --seed S`); the last
 * stdout line is one JSON object: { "metrics": mean per metric, "sd": sample
 * standard deviation, "baselines": the first seed's, "seeds": [{ "seed",
 * "metrics" }, ...], "seconds" }.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const [name, list, ...rest] = process.argv.slice(2);
if (!name || !list || !/^\d+(,\d+)*$/.test(list)) {
  process.stderr.write('usage: seeds.ts EXAMPLE 1,2,3 [-- extra args for main.ts]\n');
  process.exit(2);
}
const extra = rest[0] === '--' ? rest.slice(1) : rest;
const seeds = list.split(',').map(Number);
const started = Date.now();
const runs = seeds.map((seed) => {
  process.stderr.write(`---- ${name}, seed ${seed}\n`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', `examples/${name}/main.ts`, '--json', '--seed', String(seed), ...extra], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = JSON.parse(out.trim().split('\n').pop()!) as { metrics: Record<string, number>; baselines?: unknown };
  process.stderr.write(`seed ${seed}: ${JSON.stringify(last.metrics)}\n`);
  return { seed, ...last };
});
const keys = Object.keys(runs[0].metrics);
const mean = (k: string) => runs.reduce((a, r) => a + r.metrics[k], 0) / runs.length;
const sd = (k: string) => (runs.length < 2 ? 0 : Math.sqrt(runs.reduce((a, r) => a + (r.metrics[k] - mean(k)) ** 2, 0) / (runs.length - 1)));
const result = {
  metrics: Object.fromEntries(keys.map((k) => [k, mean(k)])),
  sd: Object.fromEntries(keys.map((k) => [k, sd(k)])),
  ...(runs[0].baselines ? { baselines: runs[0].baselines } : {}),
  seeds: runs.map((r) => ({ seed: r.seed, metrics: r.metrics })),
  seconds: (Date.now() - started) / 1000,
};
process.stderr.write(`over seeds ${seeds.join(', ')}: ${keys.map((k) => `${k} ${mean(k).toFixed(4)} ± ${sd(k).toFixed(4)}`).join(', ')}\n`);
process.stdout.write(JSON.stringify(result) + '\n');
