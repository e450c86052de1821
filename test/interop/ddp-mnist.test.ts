/**
 * Data-parallel training of the exported MNIST package, end to end through
 * the built CLI: `dnnc export examples/mnist/mnist.dnn --to pytorch`, then
 * `python3 train.py --world-size 2` (torch.distributed, gloo, two processes
 * on the CPU) trains one epoch to >= 95% validation accuracy and writes a
 * dnnc checkpoint, and `dnnc evaluate` on that checkpoint reports the same
 * accuracy (within 0.5%). The global batch is 16 (8 per process): one
 * epoch of the train block's batch 32 stops just short of 95%.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findPython, root } from '../helpers/interop.js';

const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'ddp');
const pkg = join(out, 'mnist-torch');
const ckpt = join(out, 'ddp.safetensors');
const mnist = join('examples', 'mnist', 'mnist.dnn');

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  assert.ok(line, `no JSON line in:\n${stdout}`);
  return JSON.parse(line!) as Record<string, unknown>;
}

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

test('train.py --world-size 2 trains MNIST for one epoch to >= 95%, and dnnc evaluates its checkpoint the same', () => {
  const exported = spawnSync(process.execPath, [cli, 'export', mnist, '--to', 'pytorch', '-o', pkg], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.is(exported.status, 0, exported.stderr);

  const started = Date.now();
  const trained = spawnSync(findPython(['torch', 'numpy']), ['train.py', '--world-size', '2', '--epochs', '1', '--batch', '16', '--threads', '1', '--save', ckpt, '--json'], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const seconds = (Date.now() - started) / 1000;
  assert.is(trained.status, 0, `train.py failed:\n${trained.stdout}\n${trained.stderr}`);
  const torch = lastJson(trained.stdout) as { metrics: { accuracy: number }; world_size: number };
  assert.is(torch.world_size, 2);
  assert.ok(torch.metrics.accuracy >= 0.95, `validation accuracy after one epoch: ${torch.metrics.accuracy}`);
  assert.ok(existsSync(ckpt), 'train.py wrote no checkpoint');

  const evaluated = spawnSync(process.execPath, [cli, 'evaluate', mnist, '--weights', ckpt, '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.is(evaluated.status, 0, evaluated.stderr);
  const dnnc = lastJson(evaluated.stdout) as { metrics: { accuracy: number } };
  assert.ok(Math.abs(dnnc.metrics.accuracy - torch.metrics.accuracy) <= 0.005, `dnnc evaluates ${dnnc.metrics.accuracy}, PyTorch reported ${torch.metrics.accuracy}`);
  if (process.env.INTEROP_DEBUG) console.log(`DDP epoch: PyTorch ${torch.metrics.accuracy}, dnnc ${dnnc.metrics.accuracy}, train.py ${seconds.toFixed(1)} s`);
});

test('dnnc resumes the PyTorch checkpoint (weights, optimizer state, position)', () => {
  const resumed = spawnSync(process.execPath, [cli, 'train', mnist, '--resume', ckpt, '--epochs', '1', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  // one planned epoch, already done: nothing left to train, but the checkpoint must load
  assert.is(resumed.status, 0, resumed.stderr);
  assert.not.match(resumed.stderr, /does not fit|not a training checkpoint/);
});

test.run();
