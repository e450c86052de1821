/**
 * `dnnc export` through the built CLI: what it writes, and bad input (an op
 * without a mapping, a weights file of another model, an unsupported opset,
 * a folder it did not write) ending in a located diagnostic or one clear
 * error line, exit 1, and nothing half-written at the output path.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'export-cli');
const mlp = join('examples', 'mlp', 'mlp.dnn');
const mnist = join('examples', 'mnist', 'mnist.dnn');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true', DNNC_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** no stack trace, no internal error */
function assertUserError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.is(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /internal error|\n\s+at /);
}

/** only the files named (no temporary files left beside them) */
const listing = () => readdirSync(out).sort();

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

test('--to onnx writes an ONNX model (a protobuf starting with its IR version)', () => {
  const r = run(['export', mlp, '--to', 'onnx', '-o', join(out, 'mlp.onnx')]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*mlp\.onnx \(LoanDefault, ONNX opset 17/);
  const bytes = readFileSync(join(out, 'mlp.onnx'));
  assert.is(bytes[0], 0x08); // field 1 (ir_version), varint
  assert.is(bytes[1], 8);
});

test('an op without an ONNX mapping is a located DNN0031 naming the op and the layer; no file is written', () => {
  const dnn = join(out, 'noisy.dnn');
  writeFileSync(dnn, 'model Noisy {\n  input  x: f32[B, 4]\n  output y: f32[B, 4]\n  y = x + noise(B, 4)\n}\n');
  const target = join(out, 'noisy.onnx');
  const r = run(['export', dnn, '--to', 'onnx', '-o', target]);
  assertUserError(r, /noisy\.dnn:4:11: error DNN0031: cannot export 'Noisy' to ONNX: the op 'random_normal' \(from layer 'noise_1'\)/);
  assert.not.ok(existsSync(target));
});

test('a weights file of another model is an error listing the mismatches; nothing is written', () => {
  const weights = join(out, 'lenet.safetensors');
  // the initial weights of LeNet, through the PyTorch export
  assert.is(run(['export', mnist, '--to', 'pytorch', '--no-data', '-o', join(out, 'lenet')]).code, 0);
  writeFileSync(weights, readFileSync(join(out, 'lenet', 'weights', 'LeNet.safetensors')));
  const before = listing();
  for (const to of ['onnx', 'pytorch']) {
    const target = join(out, `wrong-${to}`);
    const r = run(['export', mlp, '--to', to, '--weights', weights, '-o', target]);
    assertUserError(r, /does not fit model 'LoanDefault' \(the file was written for 'LeNet'/);
    assert.match(r.stderr, /missing LoanDefault\.dense_1\.weight/);
  }
  assert.equal(listing(), before);
});

test('an unsupported ONNX opset is one clear error line', () => {
  const r = run(['export', mlp, '--to', 'onnx', '--opset', '13', '-o', join(out, 'op13.onnx')]);
  assertUserError(r, /^dnnc: error: ONNX opset 13 is not supported: dnnc writes opset 17/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.not.ok(existsSync(join(out, 'op13.onnx')));
});

test('--to pytorch writes the package, replaces its own earlier export, and never a folder it did not write', () => {
  const target = join(out, 'mlp-torch');
  const r = run(['export', mlp, '--to', 'pytorch', '-o', target]);
  assert.is(r.code, 0, r.stderr);
  for (const f of ['model.py', 'training.py', 'train.py', 'layers.py', 'checkpoint.py', 'weights/LoanDefault.safetensors', 'data/train.safetensors', 'data/validation.safetensors', 'dnnc-export.json'])
    assert.ok(existsSync(join(target, f)), f);
  assert.match(readFileSync(join(target, 'model.py'), 'utf8'), /class LoanDefault\(nn\.Module\)/);
  // again: replaced whole
  writeFileSync(join(target, 'stale.txt'), 'x');
  assert.is(run(['export', mlp, '--to', 'pytorch', '-o', target]).code, 0);
  assert.not.ok(existsSync(join(target, 'stale.txt')));
  // a folder of someone else's files is left alone
  const other = join(out, 'mine');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'keep');
  const refused = run(['export', mlp, '--to', 'pytorch', '-o', other]);
  assertUserError(refused, /holds files dnnc did not write/);
  assert.equal(readdirSync(other), ['notes.txt']);
  assert.not.ok(listing().some((f) => f.endsWith('.tmp') || f.endsWith('.old')), listing().join(', '));
});

test.run();
