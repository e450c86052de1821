/**
 * End to end through the built CLI (dist/cli/dnnc.js, built by `npm test`):
 * usage errors, diagnostics, compile -> plain Node import -> predict/trainStep,
 * and `train --json` on the MLP example.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'e2e');
const mlp = join('examples', 'mlp', 'mlp.dnn');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeout = 120_000): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, CI: 'true', DNNC_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function node(script: string, timeout = 120_000): Run {
  const r = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** one line `dnnc: error: ...`, no stack trace */
function assertCleanError(r: Run, code: number, pattern?: RegExp): void {
  assert.is(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^dnnc: error: /);
  assert.not.match(r.stderr, /\n\s+at /);
  if (pattern) assert.match(lines[0], pattern);
}

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

test('--help lists the commands', () => {
  const r = run(['--help']);
  assert.is(r.code, 0);
  for (const c of ['compile', 'check', 'ir', 'train']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('--version prints the package version', () => {
  const r = run(['--version']);
  assert.is(r.code, 0);
  assert.is(r.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
});

test('usage errors: unknown flag, unknown command, bad value, no file: exit 2, one line', () => {
  assertCleanError(run(['--bogus']), 2, /unknown option '--bogus'/);
  assertCleanError(run(['check', mlp, '--bogus']), 2, /unknown option '--bogus'/);
  assertCleanError(run(['frobnicate']), 2, /unknown command 'frobnicate'/);
  assertCleanError(run(['train', mlp, '--epochs', 'many']), 2, /--epochs/);
  assertCleanError(run(['compile', mlp, '--emit', 'wasm']), 2, /--emit/);
  assertCleanError(run(['check']), 2, /missing required argument/);
  const none = run([]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /Usage: dnnc/);
});

test('a missing file is a clean error', () => {
  assertCleanError(run(['check', 'test/.out/e2e/does-not-exist.dnn']), 2, /does-not-exist\.dnn/);
  assertCleanError(run(['train', 'test/.out/e2e/does-not-exist.dnn']), 2, /does-not-exist\.dnn/);
});

test('check: a bad file gives located diagnostics and exit 1', () => {
  const bad = join(out, 'bad.dnn');
  writeFileSync(bad, 'model M {\n  input  x: f32[B, 4]\n  output y: f32[B, 2]\n  y = x |> dens(2)\n}\n');
  const r = run(['check', 'test/.out/e2e/bad.dnn']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /bad\.dnn:4:\d+: error DNN\d{4}: /);
  assert.match(r.stderr, /\n\s+4 \|   y = x \|> dens\(2\)\n/);
  assert.match(r.stderr, /\^/);
  assert.not.match(r.stderr, /\n\s+at /);
  assert.is(r.stdout, '');
});

test('check and ir on the MLP example', () => {
  const c = run(['check', mlp]);
  assert.is(c.code, 0, c.stderr);
  assert.is(c.stdout.trim(), 'ok');
  for (const stage of ['lowered', 'optimized', 'train']) {
    const r = run(['ir', mlp, '--stage', stage]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /LoanDefault/);
  }
});

test('compile --emit js, import with plain Node: predict shapes, 40 trainSteps halve the loss', () => {
  const dir = join(out, 'mlp-js');
  const c = run(['compile', mlp, '-o', 'test/.out/e2e/mlp-js', '--emit', 'js']);
  assert.is(c.code, 0, c.stderr);
  const files = readdirSync(dir);
  const entry = files.find((f) => /^mlp\.m?js$/.test(f)) ?? files.find((f) => /\.m?js$/.test(f));
  assert.ok(entry, `no .js file in ${files.join(', ')}`);
  const script = join(dir, 'run.mjs');
  writeFileSync(
    script,
    `
import * as mod from './${entry}';
let s = 12345;
const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const model = await mod.create({ seed: 1 });
const features = Float32Array.from({ length: 4 * 8 }, rand);
const out = await model.predict({ features });
const logits = out.logits;
const result = { shape: logits.shape, finite: Array.from(logits.data).every(Number.isFinite), signature: model.signature };
const n = 32;
const x = Float32Array.from({ length: n * 8 }, rand);
const label = Int32Array.from({ length: n }, (_, i) => (x[i * 8] + x[i * 8 + 3] > 0 ? 1 : 0));
const losses = [];
for (let i = 0; i < 40; i++) losses.push((await model.trainStep({ features: x, label })).loss);
result.losses = losses;
model.dispose();
console.log(JSON.stringify(result));
`,
  );
  const r = node(script);
  assert.is(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(res.shape, [4, 2]);
  assert.ok(res.finite, 'predict outputs are finite');
  assert.equal(res.signature.inputs.map((s: { name: string }) => s.name), ['features']);
  const losses: number[] = res.losses;
  assert.is(losses.length, 40);
  assert.ok(losses.every(Number.isFinite), `losses finite: ${losses}`);
  assert.ok(losses[39] <= losses[0] / 2, `loss ${losses[0]} -> ${losses[39]}`);
});

test('compile --emit ts writes a TypeScript module', () => {
  const r = run(['compile', mlp, '-o', 'test/.out/e2e/mlp-ts']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(readdirSync(join(out, 'mlp-ts')).some((f) => f.endsWith('.ts')));
});

test("the module's header names the source relative to the working folder, however the path was given: no machine's folders in it", () => {
  const given = run(['compile', join(root, mlp), '-o', 'test/.out/e2e/mlp-abs']);
  assert.is(given.code, 0, given.stderr);
  const header = (dir: string) => readFileSync(join(out, dir, 'mlp.ts'), 'utf8').split('\n')[0];
  assert.is(header('mlp-abs'), '// Generated by dnnc from examples/mlp/mlp.dnn; do not edit.');
  assert.is(header('mlp-abs'), header('mlp-ts'));
  const outside = spawnSync(process.execPath, [cli, 'compile', join(root, mlp), '-o', join(out, 'mlp-outside')], { cwd: join(root, 'examples', 'mnist'), encoding: 'utf8' });
  assert.is(outside.status, 0, outside.stderr);
  assert.is(header('mlp-outside'), '// Generated by dnnc from mlp.dnn; do not edit.');
});

test('train --json on the MLP example: last stdout line is the JSON result, accuracy > 0.88', () => {
  const r = run(['train', mlp, '--json']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1, `progress goes to stderr with --json: ${r.stdout}`);
  const res = JSON.parse(lines[lines.length - 1]);
  assert.equal(Object.keys(res).sort(), ['baselines', 'epochs', 'history', 'metrics', 'seconds', 'validation']);
  // the test split's metrics beside the baselines on the same test data: the MLP beats its own linear form
  // (majority 0.66, linear 0.905, the MLP 0.935 when measured)
  assert.ok(res.metrics.accuracy > res.baselines.linear.accuracy, `accuracy ${res.metrics.accuracy} vs linear ${res.baselines.linear.accuracy}`);
  assert.ok(res.baselines.linear.accuracy > res.baselines.majority.accuracy, 'the linear baseline learned');
  assert.is(res.epochs, 5);
  assert.equal(res.history.map((h: { epoch: number }) => h.epoch), [1, 2, 3, 4, 5]);
  assert.type(res.seconds, 'number');
  assert.ok(res.metrics.accuracy > 0.88, `test accuracy ${res.metrics.accuracy}`);
  assert.ok(Number.isFinite(res.metrics.loss));
  assert.match(r.stderr, /epoch 5\/5: .*val_accuracy/);
});

test('train: plain progress without a TTY, options override the train block', () => {
  const r = run(['train', mlp, '--epochs', '2', '--batch', '128', '--seed', '3']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /epoch 1\/2: loss [\d.]+, accuracy [\d.]+, val_loss [\d.]+, val_accuracy [\d.]+/);
  assert.match(r.stdout, /epoch 2\/2: /);
  assert.not.match(r.stdout, /epoch 3\//);
  assert.match(r.stdout, /batch 128/);
  assert.not.match(r.stdout, /\x1b\[/);
});

test('train: data errors are one clean line with exit 1', () => {
  writeFileSync(join(out, 'd.csv'), 'a,b,y\n1,2,0\n3,4,1\n');
  const dnn = (data: string) => `model C {
  input  x: f32[B, 2]
  output logits: f32[B, 2]
  logits = x |> dense(2)
}
train C {
  data      = ${data}
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = adam(lr: 1e-2)
  batch     = 2
  epochs    = 1
}
`;
  writeFileSync(join(out, 'ok.dnn'), dnn('csv("d.csv", label: "y")'));
  writeFileSync(join(out, 'nocol.dnn'), dnn('csv("d.csv", label: "target")'));
  writeFileSync(join(out, 'nofile.dnn'), dnn('csv("missing.csv", label: "y")'));
  const ok = run(['train', 'test/.out/e2e/ok.dnn']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /epoch 1\/1: loss/);
  const nocol = run(['train', 'test/.out/e2e/nocol.dnn']);
  assert.is(nocol.code, 1, nocol.stderr);
  assert.match(nocol.stderr, /'target'/);
  assert.match(nocol.stderr, /'a', 'b', 'y'/);
  assert.not.match(nocol.stderr, /\n\s+at /);
  const nofile = run(['train', 'test/.out/e2e/nofile.dnn']);
  assert.is(nofile.code, 1, nofile.stderr);
  assert.match(nofile.stderr, /missing\.csv/);
  assert.not.match(nofile.stderr, /\n\s+at /);
});

test.run();
