/**
 * Generated modules in a strict TypeScript app: the emitted `.ts` of several
 * examples (dense, recurrent with a sampler, convolutional, a trainer of
 * several models) type-checks with `--strict --noUncheckedIndexedAccess`,
 * and the input types carry the dtypes: an i32 input takes an Int32Array and
 * refuses a Float32Array, an f32 output's data is a Float32Array. The app
 * imports 'dnnc' as an installed package would (node_modules/dnnc → this
 * checkout, its dist/ built).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { emitModule } from '../../codegen/module/emit.js';
import { ensureDist } from '../helpers/browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = join(root, 'test/.out/strict-ts');
const EXAMPLES = ['mlp/mlp.dnn', 'charlm/charlm.dnn', 'mnist/mnist.dnn', 'gan-mixture/gan-mixture.dnn'];

// the dtypes in the types: each line marked @ts-expect-error must be an error, the others must not
const APP_TS = `
import { create } from './charlm.js';

export async function run(): Promise<number> {
  const model = await create({ seed: 1 });
  const tokens = new Int32Array(2 * 32);
  const out = await model.predict({ tokens });
  const logits: Float32Array = out.logits.data;
  // @ts-expect-error an i32 input does not take a Float32Array
  await model.predict({ tokens: new Float32Array(2 * 32) });
  // @ts-expect-error an f32 output's data is not an Int32Array
  const wrong: Int32Array = out.logits.data;
  await model.predict({ tokens: [[1, 2, 3]] });
  model.dispose();
  return logits.length + wrong.length;
}
`;

/** tsc on `files` with the app's strict options (a tsconfig.json of its own: nothing of the repository's applies). */
function tsc(files: string[]): { status: number | null; output: string } {
  const compilerOptions = {
    noEmit: true, strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true,
    module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
  };
  writeFileSync(join(APP, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', APP], { cwd: APP, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test.before(() => {
  ensureDist(root);
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(join(APP, 'node_modules'), { recursive: true });
  symlinkSync(root, join(APP, 'node_modules/dnnc'), 'dir');
  writeFileSync(join(APP, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  for (const example of EXAMPLES) {
    const file = `examples/${example}`;
    const res = compileSource(readFileSync(join(root, file), 'utf8'), file);
    assert.ok(res.file, `${file} compiles`);
    const name = example.split('/')[1].replace(/\.dnn$/, '').replace(/-/g, '_');
    for (const f of emitModule(res.file!, { emit: 'ts', sourceName: name }).files) writeFileSync(join(APP, f.name), f.text);
  }
  writeFileSync(join(APP, 'app.ts'), APP_TS);
});

test('emitted modules pass tsc --strict --noUncheckedIndexedAccess, and the dtypes are in the types', () => {
  const files = [...EXAMPLES.map((e) => `${e.split('/')[1].replace(/\.dnn$/, '').replace(/-/g, '_')}.ts`), 'app.ts'];
  const r = tsc(files);
  assert.is(r.output.trim(), '', 'no diagnostics');
  assert.is(r.status, 0);
});

test('the check can fail: a Float32Array for an i32 input is an error', () => {
  writeFileSync(join(APP, 'wrong.ts'), `import { create } from './charlm.js';\nexport async function f(): Promise<void> {\n  const m = await create();\n  await m.predict({ tokens: new Float32Array(64) });\n}\n`);
  const r = tsc(['wrong.ts']);
  assert.ok(r.status !== 0 && /Float32Array/.test(r.output), r.output);
});

test.run();
