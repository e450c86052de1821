/**
 * The small command line every example's main.ts shares:
 *   --json       end stdout with one JSON line { "metrics", "epochs"?, "seconds", ... }; progress goes to stderr
 *   --seed N     seed for weights, noise and the environment (default 1)
 *   --quick      a shorter run (what the CI tests do), with a lower bar
 */
export interface ExampleArgs {
  json: boolean;
  seed: number;
  quick: boolean;
}

export function parseArgs(argv = process.argv.slice(2)): ExampleArgs {
  const args: ExampleArgs = { json: false, seed: 1, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--seed' && /^\d+$/.test(argv[i + 1] ?? '')) args.seed = Number(argv[++i]);
    else {
      process.stderr.write(`unknown argument '${a}'; usage: main.ts [--json] [--seed N] [--quick]\n`);
      process.exit(2);
    }
  }
  return args;
}

/** Progress lines: stdout normally, stderr under --json (stdout then carries only the JSON line). */
export function logger(json: boolean): (line: string) => void {
  return (line) => void (json ? process.stderr : process.stdout).write(line + '\n');
}

/** The last line of a run: JSON with --json, else a readable summary. */
export function report(json: boolean, result: { metrics: Record<string, number>; seconds: number; [k: string]: unknown }): void {
  // four significant digits: an mse of 0.0087 keeps its seed-to-seed spread
  const metrics = Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, Number(v.toPrecision(4))]));
  // CPU seconds of the whole process (compiling included): comparable across runs on a busy machine
  const cpu = process.cpuUsage();
  const out = { ...result, metrics, seconds: Math.round(result.seconds * 10) / 10, cpu_seconds: Math.round((cpu.user + cpu.system) / 1e5) / 10 };
  if (json) process.stdout.write(JSON.stringify(out) + '\n');
  else process.stdout.write(`done in ${out.seconds} s: ${Object.entries(metrics).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
}
