/**
 * Through the built CLI (dist/cli/dnnc.js): `--json` always ends stdout with
 * one JSON line (the per-epoch history on success, {"error": ...} on any
 * failure), `--plot` draws the curves as SVG, and data mistakes and missing
 * GPU adapters are user errors (exit 1), never internal errors (exit 70).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'cli-json');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true', DNNC_DEBUG: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last stdout line, parsed; it must be the only JSON line. */
function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.is(lines.filter((l) => l.startsWith('{')).length, 1, `one JSON line: ${stdout}`);
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

function file(name: string, text: string): string {
  const path = join(out, name);
  writeFileSync(path, text);
  return path;
}

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

test('train --json ends with the per-epoch history', () => {
  const r = run(['train', 'examples/mlp/mlp.dnn', '--epochs', '2', '--json', '--no-baselines']);
  assert.is(r.code, 0, r.stderr);
  const j = lastJson(r.stdout) as { history: Record<string, number>[]; epochs: number };
  assert.is(j.epochs, 2);
  assert.equal(j.history.map((h) => h.epoch), [1, 2]);
  for (const h of j.history) for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds']) assert.type(h[k], 'number', k);
});

test('train --json with --seeds gives each seed its history', () => {
  const r = run(['train', 'examples/mlp/mlp.dnn', '--epochs', '2', '--seeds', '1,2', '--json', '--no-baselines']);
  assert.is(r.code, 0, r.stderr);
  const j = lastJson(r.stdout) as { seeds: { seed: number; history: unknown[] }[] };
  assert.equal(j.seeds.map((s) => [s.seed, s.history.length]), [[1, 2], [2, 2]]);
});

test('train --plot draws the loss and metric curves as SVG', () => {
  const svg = join(out, 'loss.svg');
  const r = run(['train', 'examples/mlp/mlp.dnn', '--epochs', '3', '--plot', svg, '--no-baselines']);
  assert.is(r.code, 0, r.stderr);
  const text = readFileSync(svg, 'utf8');
  assert.match(text, /^<svg /);
  // one panel per quantity, a legend with both splits, a line per split and panel
  for (const word of ['loss', 'accuracy', 'training', 'validation', 'epoch']) assert.match(text, `>${word}<`);
  assert.is((text.match(/class="mark-line role-mark/g) ?? []).length, 4, 'a line per split in each of the 2 panels');
  assert.match(r.stdout, `loss curves written to ${svg}`);
});

test('diagnostics: exit 1 and {"error"} with the located diagnostics', () => {
  const f = file('five.dnn', readFileSync(join(root, 'test/golden/diagnostics/label-classes.dnn'), 'utf8'));
  const r = run(['train', f, '--json']);
  assert.is(r.code, 1);
  const { error } = lastJson(r.stdout) as { error: { kind: string; exit: number; diagnostics: { code: string; line: number; col: number }[] } };
  assert.is(error.kind, 'diagnostics');
  assert.is(error.exit, 1);
  assert.equal(error.diagnostics.map((d) => [d.code, d.line, d.col]), [['DNN0041', 11, 25]]);
  assert.match(r.stderr, 'DNN0041');
});

test('usage errors end with {"error"} too', () => {
  for (const args of [['train', 'nosuch.dnn', '--json'], ['train', 'examples/mlp/mlp.dnn', '--json', '--bogus']]) {
    const r = run(args);
    assert.is(r.code, 2);
    assert.equal((lastJson(r.stdout).error as { kind: string }).kind, 'usage');
  }
});

test('bad data is a user error naming the file, line and column: exit 1, never "internal error"', () => {
  file('oov.csv', 'a,b,y\n1,2,0\n3,12,1\n');
  file('ints.csv', 'a,b,y\n1,2,0\n1.5,2.7,1\n');
  const model = (csv: string) => `model M { input features: i32[B, 2]  output y: f32[B, 2]  y = features |> embedding(vocab: 10, dim: 4) |> flatten |> dense(2) }
train M { data = csv("${csv}", label: "y")  label: i32[B]  loss = cross_entropy(y, label) }`;
  for (const [csv, expect] of [
    ['oov.csv', "sample 1 (oov.csv line 3, column 'b'), field 'features', holds 12, which is outside the vocabulary [0, 10)"],
    ['ints.csv', "sample 1 (ints.csv line 3, column 'a') holds 1.5"],
  ]) {
    const r = run(['train', file(csv.replace('.csv', '.dnn'), model(csv)), '--json']);
    assert.is(r.code, 1, r.stderr);
    assert.not.match(r.stderr, 'internal error');
    assert.match(r.stderr, expect);
    assert.equal((lastJson(r.stdout).error as { kind: string }).kind, 'user');
  }
});

test('a missing GPU adapter is a user error that says what to do', () => {
  // no Vulkan driver: Dawn finds no adapter
  const r = run(['train', 'examples/mlp/mlp.dnn', '--backend', 'webgpu', '--json'], { VK_ICD_FILENAMES: join(out, 'none.json') });
  if (r.code === 0) return; // a machine with a real GPU adapter: nothing to check
  assert.is(r.code, 1, r.stderr);
  assert.not.match(r.stderr, 'internal error');
  assert.match(r.stderr, 'dnnc: error: the webgpu backend is not available');
  assert.match(r.stderr, '--backend cpu');
  assert.match((lastJson(r.stdout).error as { message: string }).message, '--backend cpu');
});

test.run();
