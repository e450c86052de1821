/**
 * User mistakes on the command line never end as "internal error" (exit 70):
 * unreadable or special input files, output folders that are files, below a
 * file or on /proc, out-of-range flags and oversized models are exit 1 or 2
 * with one line naming the path and the reason, and they end quickly.
 * Runs the built CLI (dist/cli/dnnc.js, built by `npm test`).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { describeFsError } from '../../compiler/files.js';
import { instantiate } from '../../runtime/index.js';
import { fileErrorMessage } from '../../cli/fs-errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const out = join(root, 'test', '.out', 'cli-robustness');
const mlp = join('examples', 'mlp', 'mlp.dnn');

function run(args: string[], timeout = 60_000, env: Record<string, string> = {}) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, CI: 'true', DNNC_DEBUG: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** exit `code`, one line `dnnc: error: ...` matching `pattern`, no stack */
function cleanError(r: ReturnType<typeof run>, code: number, pattern: RegExp): void {
  assert.is(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /^dnnc: error: /);
  assert.match(lines[0], pattern);
}

test.before(() => {
  assert.ok(existsSync(cli), `${cli} is missing: run npm run build (npm test does)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'a-file'), 'x');
});

test('compile -o on /proc is refused before any work, quickly', () => {
  const r = run(['compile', mlp, '-o', '/proc/dnnc-out']);
  cleanError(r, 1, /'\/proc\/dnnc-out'.*proc pseudo file system/);
  assert.ok(r.ms < 20_000, `${r.ms} ms`);
});

test('train --save and --save-weights on /proc or below a file are refused before any work', () => {
  const r = run(['train', mlp, '--save', '/proc/dnnc.safetensors']);
  cleanError(r, 1, /--save: cannot write '\/proc\/dnnc\.safetensors': .*proc pseudo file system/);
  assert.ok(r.ms < 20_000, `${r.ms} ms`);
  cleanError(run(['train', mlp, '--save-weights', join(out, 'a-file', 'w.safetensors')]), 1, /--save-weights: cannot write .*a-file is not a folder/);
});

test('a backend asked for by name that cannot run here is a user error (exit 1), not an internal one', () => {
  // no Vulkan driver: no WebGPU adapter
  const r = run(['train', mlp, '--epochs', '1', '--backend', 'webgpu'], 60_000, { VK_ICD_FILENAMES: join(out, 'no-driver.json') });
  // (the Vulkan loader may print its own warnings first)
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^dnnc: error: the webgpu backend is not available: .*no GPU adapter/m);
  assert.not.match(r.stderr, /internal error/);
});

test('compile -o a file, or a folder below a file: exit 1 naming the file', () => {
  cleanError(run(['compile', mlp, '-o', join(out, 'a-file')]), 1, /a-file'.*it is a file, not a folder/);
  cleanError(run(['compile', mlp, '-o', join(out, 'a-file', 'sub')]), 1, /a-file'.*is a file, not a folder/);
  cleanError(run(['compile', mlp, '-o', '/dev/null']), 1, /\/dev\/null'.*it is a device, not a folder/);
});

test('an output file that is a folder: exit 1 naming it', () => {
  const dir = join(out, 'clash');
  mkdirSync(join(dir, 'mlp.ts'), { recursive: true });
  cleanError(run(['compile', mlp, '-o', dir]), 1, /mlp\.ts'.*cannot write it: it is a folder \(EISDIR\)/);
});

test('input files that are devices or FIFOs are refused, not read forever', () => {
  const r = run(['check', '/dev/zero']);
  cleanError(r, 1, /'\/dev\/zero'.*it is a device, not a regular file/);
  assert.ok(r.ms < 20_000);
  const fifo = join(out, 'fifo.dnn');
  if (spawnSync('mkfifo', [fifo]).status === 0) cleanError(run(['check', fifo]), 1, /fifo\.dnn'.*it is a pipe \(FIFO\)/);
});

test('a data file that is a device: a located diagnostic at compile time, exit 1', () => {
  const f = join(out, 'devdata.dnn');
  writeFileSync(f, 'model M { input x: f32[B, 2]  output y: f32[B, 1]  y = dense(x, 1) }\ntrain M { data = csv("/dev/zero", label: "y")  t: f32[B, 1]  loss = mse(y, t)  optimizer = sgd(lr: 0.1) }\n');
  const r = run(['check', f]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /devdata\.dnn:2:22: error DNN0035: csv: '\/dev\/zero': cannot read it: it is a device/);
});

test('--batch far too large is a usage error (exit 2)', () => {
  cleanError(run(['stats', mlp, '--batch', '99999999999999']), 2, /--batch.*at most 1,048,576/);
  cleanError(run(['train', mlp, '--batch', '99999999999999']), 2, /--batch.*at most 1,048,576/);
});

test('oversized or deeply nested models: diagnostics, never exit 70', () => {
  const cases: Record<string, string> = {
    'pipe.dnn': `model M { input x: f32[B, 4]  output y: f32[B, 4]  y = x${' |> relu'.repeat(10000)} }\n`,
    'nest.dnn': `model M { input x: f32[B, 4]  output y: f32[B, 4]  y = ${'('.repeat(3000)}x${')'.repeat(3000)} }\n`,
    'repeat.dnn': 'model M { input x: f32[B, 4]  output y: f32[B, 4]  h = x  repeat 1000000000 { h = relu(h) }  y = h }\n',
    'delete.dnn': 'model delete { input class: f32[B, 4]  output function: f32[B, 4]  function = relu(class) }\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    writeFileSync(join(out, name), text);
    for (const cmd of ['check', 'stats']) {
      const r = run([cmd, join(out, name)]);
      assert.ok(r.code === 0 || r.code === 1, `${cmd} ${name}: exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      assert.not.match(r.stderr, /internal error/, `${cmd} ${name}`);
    }
  }
  const r = run(['compile', join(out, 'delete.dnn'), '-o', join(out, 'gen')]);
  assert.is(r.code, 0, r.stderr);
});

test('predict --check-finite names a non-finite input or output (exit 1); without it Infinity comes out as JSON null', async () => {
  const f = join(out, 'exp.dnn');
  writeFileSync(f, 'model E { input x: f32[B, 2]  output y: f32[B, 2]  y = exp(x) }\n');
  const c = compileSource(readFileSync(f, 'utf8'), f);
  const m = await instantiate(programFromModel(c.file!.models[0]));
  writeFileSync(join(out, 'exp.safetensors'), await m.saveWeights());
  const predict = (input: string, ...more: string[]) => {
    writeFileSync(join(out, 'in.json'), input);
    return run(['predict', f, '--weights', join(out, 'exp.safetensors'), '--input', join(out, 'in.json'), '--json', ...more]);
  };
  // JSON has no NaN, but 1e999 reads as Infinity
  cleanError(predict('{"x": [[0, 1e999]]}', '--check-finite'), 1, /in\.json: model 'E': input 'x' is not finite at \[0, 1\]: Infinity/);
  cleanError(predict('{"x": [[0, 100]]}', '--check-finite'), 1, /^dnnc: error: model 'E': output 'y' is not finite at \[0, 1\]: Infinity though every input is finite/);
  const plain = predict('{"x": [[0, 100]]}');
  assert.is(plain.code, 0, plain.stderr);
  assert.equal(JSON.parse(plain.stdout.trim()).outputs.y.data, [[1, null]]);
});

test('an index the model computes outside its table is a user error (exit 1) in train, not an internal one', () => {
  // cast(2^31) is i32's minimum: no embedding row; the CPU kernel refuses it by name (IndexError)
  // in a folder whose data module brings the examples' loans
  const dir = join(out, 'with-loans');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dnnc.data.ts'), `import '${relative(dir, join(root, 'examples', 'dnnc.data.js')).split(sep).join('/')}';\n`);
  const file = join(dir, 'bad-index.dnn');
  writeFileSync(
    file,
    `model Bad {
  input  features: f32[B, 8]
  output logits: f32[B, 2]
  ids = cast(maximum(features, 2147483648), dtype: "i32")
  logits = embedding(ids, vocab: 4, dim: 2) |> flatten |> dense(2)
}

train Bad {
  data      = loans(split: train)
  label     : i32[B]
  loss      = cross_entropy(logits, label)
  optimizer = sgd(lr: 0.1)
  batch     = 32
  epochs    = 1
}
`,
  );
  cleanError(run(['train', file]), 1, /token id -2147483648 at position 0 of 'ids' is outside the vocabulary \[0, 4\)/);
});

test('file-system errors are described with the path and the reason', () => {
  const err = (code: string, syscall: string, path?: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path });
  assert.is(fileErrorMessage(err('EACCES', 'open', '/a/b.dnn')), "cannot read '/a/b.dnn': permission denied (EACCES)");
  assert.is(fileErrorMessage(err('ENOSPC', 'write')), 'cannot write a file: no space left on the device (ENOSPC)');
  assert.is(fileErrorMessage(err('EEXIST', 'mkdir', '/out/x')), "cannot create '/out/x': it already exists (EEXIST)");
  assert.is(fileErrorMessage(err('ENOTDIR', 'open', '/f/x.ts')), "cannot read '/f/x.ts': a part of the path is a file, not a folder (ENOTDIR)");
  assert.is(fileErrorMessage(new TypeError('a bug')), undefined);
  assert.is(describeFsError(err('EROFS', 'open', '/r')), 'the file system is read-only (EROFS)');
});

test.run();
