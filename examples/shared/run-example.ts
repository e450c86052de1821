/**
 * Runs an example's main.ts the way its README says (`tsx examples/NAME/main.ts
 * --json`), here with `--quick --seed 1`, and returns the JSON of its last
 * stdout line. Used by test/e2e/examples-*.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ExampleResult {
  metrics: Record<string, number>;
  seconds: number;
  [key: string]: unknown;
}

export function runExample(name: string, extra: string[] = ['--quick', '--seed', '1']): ExampleResult {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', `examples/${name}/main.ts`, '--json', ...extra], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // generous: the machine running the tests may be shared; a hang still ends
    timeout: 600_000,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as ExampleResult;
}
