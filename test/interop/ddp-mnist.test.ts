/**
 * Data-parallel training of the exported MNIST package, end to end through
 * the built CLI: `dnnc export examples/mnist/mnist.dnn --to pytorch`, then
 * `python3 train.py --world-size 2` (torch.distributed, gloo, two processes
 * on the CPU) trains one epoch to >= 95% validation accuracy and writes a
 * dnnc checkpoint, and `dnnc evaluate` on that checkpoint reports the same
 * accuracy (within 0.5%). The global batch is 16 (8 per process): one
 * epoch of the train block's batch 32 stops just short of 95%.
 * Then the other launches of train.py: as torchrun starts workers (RANK,
 * WORLD_SIZE, LOCAL_RANK in the environment; Debian's torch 1.13 torchrun
 * itself fails before starting any) and as two machines (--nodes 2
 * --node-rank 0|1), both on the MLP example, match one process.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
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

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

/** Runs the commands at once; resolves with each one's status and stdout. */
function together(py: string, cwd: string, runs: { args: string[]; env?: Record<string, string> }[]): Promise<{ code: number | null; stdout: string; stderr: string }[]> {
  return Promise.all(
    runs.map(
      (r) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
          const child = spawn(py, r.args, { cwd, env: { ...process.env, ...r.env } });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
          child.on('close', (code) => {
            clearTimeout(timer);
            done({ code, stdout, stderr });
          });
        }),
    ),
  );
}

test('train.py under torchrun-style environment variables and on two nodes trains the MLP as one process does', async () => {
  const mlpPkg = join(out, 'mlp-torch');
  const exported = spawnSync(process.execPath, [cli, 'export', join('examples', 'mlp', 'mlp.dnn'), '--to', 'pytorch', '-o', mlpPkg], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.is(exported.status, 0, exported.stderr);
  const py = findPython(['torch', 'numpy']);
  const common = ['train.py', '--epochs', '2', '--threads', '1', '--json'];
  const [single] = await together(py, mlpPkg, [{ args: common }]);
  assert.is(single.code, 0, single.stderr);
  const want = lastJson(single.stdout) as { metrics: Record<string, number> };

  const envPort = String(await freePort());
  const env = (rank: number) => ({ RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: '2', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: envPort });
  const nodePort = String(await freePort());
  const node = (rank: number) => [...common, '--world-size', '2', '--nodes', '2', '--node-rank', String(rank), '--master-port', nodePort];
  for (const [how, runs] of [
    ['torchrun-style', [{ args: common, env: env(0) }, { args: common, env: env(1) }]],
    ['two nodes', [{ args: node(0) }, { args: node(1) }]],
  ] as const) {
    const results = await together(py, mlpPkg, [...runs]);
    for (const r of results) assert.is(r.code, 0, `${how}: ${r.stderr}`);
    assert.is(results[1].stdout, '', `${how}: only rank 0 reports`);
    const got = lastJson(results[0].stdout) as { metrics: Record<string, number>; world_size: number };
    assert.is(got.world_size, 2, how);
    for (const [k, v] of Object.entries(want.metrics)) assert.ok(Math.abs(got.metrics[k] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${how}: ${k} ${got.metrics[k]} vs one process ${v}`);
  }
});

test.run();
