/**
 * A project's data module through the built CLI (dist/cli/dnnc.js): dnnc
 * finds dnnc.data.{js,mjs,ts,mts} beside the .dnn file or in a folder above
 * it (up to the folder with package.json), imports it, and the data sets it
 * registers compile, train and print their baselines; what goes wrong in it
 * is a one-line user error (exit 1), never an internal error.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instantiateFile } from '../../codegen/entry.js';
import { unregisterDataset } from '../../compiler/data/registry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'dnnc.js');
const base = join(root, 'test', '.out', 'data-module');
// as `import { registerDataset } from 'dnnc/data'` resolves in a project that installed dnnc
const dataEntry = pathToFileURL(join(root, 'dist', 'runtime', 'data', 'index.js')).href;

const MODEL = `model M {
  input  x: f32[B, 4]
  output y: f32[B, 3]
  y = x |> dense(3)
}

train M {
  data     = stripes(split: train)
  label    : i32[B]
  loss     = cross_entropy(y, data.label)
  batch    = 8
  epochs   = 1
  metrics  = [accuracy(y, label)]
  validate = stripes(split: validation)
  test     = stripes(split: test)
}
`;

/** A data set whose label is the position of the largest of 3 of 4 features: learnable, with a known first sample. */
const DEFINITION = `{
  name: 'stripes',
  doc: 'stripes(split: train|validation|test, size = 96): x f32[4], label i32 in [0, 3)',
  params: [{ name: 'split', type: 'split' }, { name: 'size', type: 'int', min: 1 }],
  fields: () => [
    { name: 'x', dtype: 'f32', shape: [4] },
    { name: 'label', dtype: 'i32', shape: [], below: 3 },
  ],
  load: (args) => {
    const size = typeof args.size === 'number' ? args.size : 96;
    const x = new Float32Array(size * 4);
    const label = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      label[i] = i % 3;
      x[i * 4 + label[i]] = 1;
    }
    return { name: 'stripes', size, fields: { x: { dtype: 'f32', sampleShape: [4], data: x }, label: { dtype: 'i32', sampleShape: [], data: label } } };
  },
  baselines: () => ({ always_zero: { accuracy: 1 / 3 } }),
}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true', DNNC_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh project folder: package.json, models/m.dnn, and the given files. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'models', 'm.dnn'), MODEL);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

function assertUserError(r: Run, pattern: RegExp): void {
  assert.is(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /internal error|\n\s+at /);
}

test('a dnnc.data.mjs in a folder above the .dnn file registers a data set that checks, trains and prints its baselines', () => {
  const dir = project('mjs', { 'dnnc.data.mjs': `import { registerDataset } from '${dataEntry}';\nregisterDataset(${DEFINITION});\n` });
  const check = run(dir, ['check', 'models/m.dnn']);
  assert.is(check.code, 0, check.stderr);
  const train = run(dir, ['train', 'models/m.dnn', '--json', '--seed', '1']);
  assert.is(train.code, 0, train.stderr);
  const line = JSON.parse(train.stdout.trim().split('\n').at(-1)!) as { baselines?: Record<string, unknown> };
  assert.equal(line.baselines?.always_zero, { accuracy: 1 / 3 });
  assert.ok(line.baselines?.majority, 'the built-in majority baseline is there too');
});

test("instantiateFile (dnnc/compiler) imports the file's data module before compiling, as the CLI does", async () => {
  const dir = project('in-process', { 'dnnc.data.mjs': `import { registerDataset } from '${dataEntry}';\nregisterDataset(${DEFINITION});\n` });
  try {
    const model = await instantiateFile(join(dir, 'models', 'm.dnn'));
    assert.equal(model.signature.inputs.map((i) => i.name), ['x']);
    model.dispose();
  } finally {
    unregisterDataset('stripes');
  }
});

test('a TypeScript data module is loaded through tsx', () => {
  const dir = project('ts', {
    'dnnc.data.ts': `import { registerDataset } from '${dataEntry}';\nconst size: number = 96;\nvoid size;\nregisterDataset(${DEFINITION});\n`,
  });
  const check = run(dir, ['check', 'models/m.dnn']);
  assert.is(check.code, 0, check.stderr);
});

test('without a data module the unknown data set is a located diagnostic that says how to register one', () => {
  const dir = project('none', {});
  const r = run(dir, ['check', 'models/m.dnn']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /m\.dnn:8:\d+: error DNN0004: unknown op or layer 'stripes'/);
  assert.match(r.stderr, /registerDataset/);
  assert.not.match(r.stderr, /unknown name 'data'/, 'one error for the data set, not a second for data.label');
});

test('a data module that throws, two data modules, and a loader that throws are user errors naming what failed', () => {
  let dir = project('throws', { 'dnnc.data.mjs': `throw new Error('no network here');\n` });
  assertUserError(run(dir, ['check', 'models/m.dnn']), /cannot load the data module '.*dnnc\.data\.mjs': no network here/);

  dir = project('two', { 'dnnc.data.mjs': '', 'dnnc.data.js': '' });
  assertUserError(run(dir, ['check', 'models/m.dnn']), /two data modules in '.*': dnnc\.data\.js and dnnc\.data\.mjs; keep one/);

  const failing = DEFINITION.replace(/load: \(args\) => \{/, "load: (args) => { if (args.split === 'validation') throw new Error('validation rows are corrupt');");
  dir = project('loader', { 'dnnc.data.mjs': `import { registerDataset } from '${dataEntry}';\nregisterDataset(${failing});\n` });
  assertUserError(run(dir, ['train', 'models/m.dnn']), /stripes: validation rows are corrupt/);

  dir = project('builtin-name', { 'dnnc.data.mjs': `import { registerDataset } from '${dataEntry}';\nregisterDataset({ ...${DEFINITION}, name: 'dense' });\n` });
  assertUserError(run(dir, ['check', 'models/m.dnn']), /'dense' is a built-in of the language/);
});

test.run();
