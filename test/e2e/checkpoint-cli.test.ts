/**
 * Trained weights through the CLI (dist/cli/dnnc.js): train --save, then
 * evaluate reports the run's final validation metrics; --resume continues a
 * run bit for bit (after whole epochs, and after SIGINT/SIGTERM in the middle
 * of one); --init; predict on JSON and CSV; SIGKILL during writes never
 * leaves a torn file; bad files and flags are one clean error each.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors } from '../../runtime/safetensors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'checkpoint-cli');
const mlp = join('examples', 'mlp', 'mlp.dnn');
const mnist = join('examples', 'mnist', 'mnist.dnn');
const at = (name: string) => join(out, name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The JS kernels for every run here: the signal tests interrupt a LeNet epoch
 * in its middle, and with the WebAssembly kernels one epoch ends in under a
 * second, before a signal sent at a known point of it could land; the
 * uninterrupted and resumed runs must use the same kernels to agree bit for bit.
 */
const KERNELS = { DNNC_CPU_KERNELS: 'js' };

function run(args: string[], timeout = 240_000): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, ...KERNELS, CI: 'true', DNNC_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = (r: Run) => JSON.parse(r.stdout.trim().split('\n').pop()!);
const ok = (r: Run) => assert.is(r.code, 0, `exit code; stderr:\n${r.stderr}`);
const same = (a: string, b: string) => Buffer.compare(readFileSync(a), readFileSync(b)) === 0;

/** `dnnc: error: ...` and no stack trace */
function assertCleanError(r: Run, code: number, pattern: RegExp): void {
  assert.is(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^dnnc: error: /);
  assert.not.match(r.stderr, /\n\s+at |internal error/);
  assert.match(r.stderr, pattern);
}

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
});

test('train --save, then evaluate --weights reports the run\'s final validation and test metrics (LeNet on MNIST, 1 epoch)', () => {
  const train = run(['train', mnist, '--epochs', '1', '--save', at('lenet.safetensors'), '--save-weights', at('lenet-weights.safetensors'), '--json']);
  ok(train);
  const trained = lastJson(train);
  assert.ok(trained.metrics.accuracy > 0.9, `accuracy ${trained.metrics.accuracy}`);
  for (const file of ['lenet.safetensors', 'lenet-weights.safetensors']) {
    const ev = run(['evaluate', mnist, '--weights', at(file), '--json']);
    ok(ev);
    const got = lastJson(ev);
    assert.equal([got.data.validation.data, got.data.validation.samples], ['mnist(validation)', 1000]);
    assert.equal([got.data.test.data, got.data.test.samples], ['mnist(test)', 2000]);
    assert.equal(got.metrics, trained.metrics, `${file}: the same test metrics as training reported`);
    assert.equal(got.validation, trained.validation, `${file}: the same validation metrics as training's last epoch`);
  }
  const plain = run(['evaluate', mnist, '--weights', at('lenet.safetensors')]);
  ok(plain);
  assert.match(
    plain.stdout,
    /^LeNet with .*lenet\.safetensors, validation on mnist\(validation\) \(1000 samples\): loss \d\.\d{4}, accuracy 0\.9\d{3}\nLeNet with .*lenet\.safetensors, test on mnist\(test\) \(2000 samples\): loss \d\.\d{4}, accuracy 0\.9\d{3}\n$/,
  );
  // a weights file is a third of the checkpoint: no Adam moments
  const sizes = ['lenet.safetensors', 'lenet-weights.safetensors'].map((f) => readFileSync(at(f)).length);
  assert.ok(sizes[1] * 2.5 < sizes[0], `sizes ${sizes}`);
});

test('--resume: 2 epochs then 2 more write the very bytes of one 4-epoch run; --init starts a new run from weights', () => {
  ok(run(['train', mlp, '--epochs', '4', '--save', at('mlp4.safetensors'), '--json']));
  ok(run(['train', mlp, '--epochs', '2', '--save', at('mlp2.safetensors'), '--json']));
  const resumed = run(['train', mlp, '--resume', at('mlp2.safetensors'), '--epochs', '4', '--save', at('mlp2+2.safetensors'), '--json']);
  ok(resumed);
  const perEpoch = Number(readSafetensors(readFileSync(at('mlp4.safetensors'))).metadata.step) / 4;
  assert.ok(Number.isInteger(perEpoch) && perEpoch > 10, `steps per epoch ${perEpoch}`);
  assert.match(resumed.stderr, new RegExp(`resuming from .*mlp2\\.safetensors: 2 epoch\\(s\\) and 0 batch\\(es\\) done, ${2 * perEpoch} step\\(s\\)`));
  assert.ok(same(at('mlp4.safetensors'), at('mlp2+2.safetensors')), 'resumed checkpoint differs from the uninterrupted one');
  // --init: the weights, a fresh optimizer and position
  ok(run(['train', mlp, '--epochs', '1', '--init', at('mlp4.safetensors'), '--save', at('mlp-init.safetensors'), '--json']));
  const md = readSafetensors(readFileSync(at('mlp-init.safetensors'))).metadata;
  assert.equal([md.step, md.epoch], [String(perEpoch), '1']);
  // a checkpoint already at its end: nothing to train, the metrics are reported
  const done = run(['train', mlp, '--resume', at('mlp4.safetensors'), '--json']);
  ok(done);
  assert.is(lastJson(done).epochs, 0);
});

/** Starts a training run, signals it once it has trained for a while, and returns its exit and the time from signal to exit. */
function interrupted(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...KERNELS, CI: 'true' } });
    let output = '';
    let sentAt = 0;
    const onData = (d: Buffer) => {
      output += d.toString();
      // the run has started training once the header is out; signal in the middle of the epoch
      if (!sentAt && output.includes('training LeNet')) {
        sentAt = -1;
        setTimeout(() => {
          sentAt = Date.now();
          child.kill(signal);
        }, 2500);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, ms: Date.now() - sentAt, output }));
  });
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const)
  test(`${signal} in the middle of an epoch: a checkpoint at that batch within a second, exit ${code}; resuming it ends where the uninterrupted run ends`, async () => {
    const file = at(`lenet-${signal}.safetensors`);
    const r = await interrupted(['train', mnist, '--epochs', '1', '--save', file], signal);
    assert.is(r.code, code, r.output);
    // about 0.1 s on a quiet machine (the batch in progress, then the write and its fsync); slack for a loaded one
    assert.ok(r.ms < 2000, `stopped ${r.ms} ms after the signal`);
    assert.match(r.output, new RegExp(`stopped by ${signal}: checkpoint written to .*; continue with --resume`));
    const md = readSafetensors(readFileSync(file)).metadata;
    assert.is(md.epoch, '0');
    assert.ok(Number(md.batch) > 0 && Number(md.batch) < 250, `stopped at batch ${md.batch}`);
    const resumed = run(['train', mnist, '--resume', file, '--save', at(`lenet-${signal}-resumed.safetensors`), '--json']);
    ok(resumed);
    assert.ok(same(at('lenet.safetensors'), at(`lenet-${signal}-resumed.safetensors`)), 'resumed run differs from the uninterrupted one');
  });

test('SIGKILL while checkpoints are being written never leaves a torn file (8 or more kills of a 24 MB writer, until some land in mid-write)', async () => {
  const writer = at('writer.mjs');
  const target = at('big.safetensors');
  const runtime = (f: string) => pathToFileURL(join(root, 'dist', 'runtime', f)).href;
  // version v of the file: one tensor whose values are all v
  writeFileSync(
    writer,
    `import { writeFileAtomic } from '${runtime('node.js')}';
import { writeSafetensors } from '${runtime('safetensors.js')}';
for (let v = 1; ; v++) {
  const bytes = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [6 * 2 ** 20], data: new Float32Array(6 * 2 ** 20).fill(v) }], { version: String(v) });
  writeFileAtomic(process.argv[2], bytes);
  process.stdout.write(v + '\\n');
}
`,
  );
  let lastVersion = 0;
  let midWrite = 0;
  // on a loaded machine a write may take long enough for every kill to miss it: keep going (40 at most)
  for (let round = 0; round < 40 && (round < 8 || midWrite < 1); round++) {
    const child = spawn(process.execPath, [writer, target]);
    let reported = 0;
    let wrote: () => void;
    const firstWrite = new Promise<void>((r) => (wrote = r));
    child.stdout.on('data', (d: Buffer) => {
      reported = Math.max(reported, ...d.toString().trim().split('\n').map(Number));
      wrote();
    });
    // kill at a different moment of the write cycle each round, once the writer is going
    await firstWrite;
    await new Promise((r) => setTimeout(r, 13 + 37 * (round % 8) + 7 * Math.floor(round / 8)));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const file = readSafetensors(readFileSync(target), target);
    const v = Number(file.metadata.version);
    const w = file.tensors.get('w')!.data;
    assert.ok(w.every((x) => x === v), `round ${round}: a file mixing versions`);
    assert.ok(v >= reported, `round ${round}: version ${v} is older than the last one reported written (${reported})`);
    lastVersion = Math.max(lastVersion, v);
    // a temporary file left behind: this kill landed in the middle of a write
    const temps = readdirSync(out).filter((f) => f.startsWith('.big.safetensors.') && f.endsWith('.tmp'));
    if (temps.length) midWrite++;
    for (const t of temps) rmSync(join(out, t));
  }
  assert.ok(lastVersion >= 1);
  assert.ok(midWrite >= 1, 'no kill landed in the middle of a write: the test proved nothing');
});

test('predict: JSON (by input name, or samples) and CSV give the outputs of the trained model', () => {
  const weights = at('mlp4.safetensors');
  const rows = [
    [0.5, -1, 2, 0, 1, 0.25, -0.5, 3],
    [1, 1, 1, 1, 1, 1, 1, 1],
    [-2, 0, 0.5, 0.5, -1, 2, 0, 0],
  ];
  writeFileSync(at('in.json'), JSON.stringify({ features: rows }));
  writeFileSync(at('samples.json'), JSON.stringify(rows));
  writeFileSync(at('in.csv'), ['a,b,c,d,e,f,g,h', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  const results = ['in.json', 'samples.json', 'in.csv'].map((f) => {
    const r = run(['predict', mlp, '--weights', weights, '--input', at(f), '--json']);
    ok(r);
    return lastJson(r).outputs.logits;
  });
  assert.equal(results[0].shape, [3, 2]);
  assert.equal(results[1], results[0]);
  assert.equal(results[2], results[0]);
  // the trained model, not an untrained one: other weights give other logits
  const other = lastJson(run(['predict', mlp, '--weights', at('mlp-init.safetensors'), '--input', at('in.json'), '--json'])).outputs.logits;
  assert.not.equal(other.data, results[0].data);
  const plain = run(['predict', mlp, '--weights', weights, '--input', at('in.csv')]);
  ok(plain);
  assert.match(plain.stdout, /^logits: f32\[3, 2\]\n {2}0: class [01] {2}\[-?\d+\.\d{4}, -?\d+\.\d{4}\]\n/);
});

test('bad weights files and flags: one clean error each, naming the file and what is wrong', () => {
  const torn = at('torn.safetensors');
  const full = readFileSync(at('mlp4.safetensors'));
  writeFileSync(torn, full.subarray(0, full.length - 100));
  assertCleanError(run(['evaluate', mlp, '--weights', torn]), 1, /torn\.safetensors: not a valid safetensors file: tensor "\S+" has data_offsets \[\d+, \d+\] outside the data area/);
  writeFileSync(at('text.safetensors'), 'hello, I am not a tensor file');
  assertCleanError(run(['evaluate', mlp, '--weights', at('text.safetensors')]), 1, /not a valid safetensors file: the header length says \d+ bytes, but only \d+ follow/);
  const other = run(['evaluate', mlp, '--weights', at('lenet-weights.safetensors')]);
  assertCleanError(other, 1, /lenet-weights\.safetensors does not fit model 'LoanDefault' \(the file was written for 'LeNet', as weights\): 16 mismatches\n {2}missing LoanDefault\.dense_1\.weight \(expected F32\[8, 32\]\)/);
  assert.match(other.stderr, /\n {2}unexpected LeNet\.conv2d_1\.weight \(F32\[6, 1, 5, 5\]\)/);
  assertCleanError(run(['evaluate', mlp, '--weights', at('nowhere.safetensors')]), 1, /cannot read the weights file '.*nowhere\.safetensors': no such file/);
  assertCleanError(run(['evaluate', mlp, '--weights', out]), 1, /cannot read the weights file '.*': it is a folder/);
  assertCleanError(run(['train', mlp, '--resume', at('lenet-weights.safetensors')]), 1, /does not fit model 'LoanDefault'/);
  ok(run(['train', mlp, '--epochs', '1', '--save-weights', at('mlp-w.safetensors')]));
  assertCleanError(run(['train', mlp, '--resume', at('mlp-w.safetensors')]), 1, /it is a weights file: load it with loadWeights \(dnnc train --init\)/);
  assertCleanError(run(['train', mlp, '--resume', at('mlp4.safetensors'), '--init', at('mlp4.safetensors')]), 2, /--resume and --init exclude each other/);
  assertCleanError(run(['train', mlp, '--checkpoint-every', '2']), 2, /--checkpoint-every needs --save/);
  assertCleanError(run(['train', mlp, '--resume', at('mlp2.safetensors'), '--seed', '9']), 2, /a resumed run keeps its seed/);
  assertCleanError(run(['train', mlp, '--resume', at('mlp4.safetensors'), '--epochs', '3']), 1, /at epoch 4, past the 3 epoch\(s\) asked for/);
  assertCleanError(run(['train', mlp, '--epochs', '1', '--save', join(at('in.csv'), 'below.safetensors')]), 1, /--save: cannot write '.*below\.safetensors': .*in\.csv is not a folder/);
  writeFileSync(at('short.json'), JSON.stringify([[1, 2, 3]]));
  assertCleanError(run(['predict', mlp, '--weights', at('mlp4.safetensors'), '--input', at('short.json')]), 1, /sample 0 has 3 value\(s\) for input 'features', which takes 8 per sample/);
  assertCleanError(run(['predict', mlp, '--weights', at('mlp4.safetensors'), '--input', at('in.txt')]), 1, /cannot read the input file/);
});

test.run();
