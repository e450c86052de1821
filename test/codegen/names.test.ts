/**
 * Generated names are always valid: models, inputs, layers and dims named
 * with every reserved word of JS, TS and WGSL, with the generated module's
 * own names and with letters of other scripts compile, import (TS through
 * tsx, JS with plain Node) and predict on every backend, while signatures,
 * weight keys and ids keep the names as written.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitModule } from '../../codegen/module/emit.js';
import { commentText, generatedNames, jsReserved, mangle, NameTable, tsReserved, wgslReserved } from '../../codegen/names.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { lexer } from '../../grammar/tokens.js';
import { instantiate } from '../../runtime/index.js';
import type { CreateOptions, Model } from '../../runtime/types.js';
import { haveWebGpu } from '../webgpu/helpers.js';

const out = join('test', '.out', 'names');
const unicode = ['größe', 'Σ', 'naïve', 'café', '変数', 'ÿ', 'x_u00e9', 'k00_dense_1_matmul', '_9', '__x', 'x__', 'Ω1'];

/** Words the .dnn lexer reads as one plain name (its own keywords are not names). */
function isDnnName(w: string): boolean {
  const { tokens, errors } = lexer.tokenize(w);
  return errors.length === 0 && tokens.length === 1 && tokens[0].tokenType.name === 'Identifier';
}

const words = [...new Set([...jsReserved, ...tsReserved, ...wgslReserved, ...generatedNames, ...unicode])].filter(isDnnName).sort();

test('mangle: valid, unreserved identifiers for JS, TS and WGSL', () => {
  assert.is(mangle('LeNet'), 'LeNet');
  assert.is(mangle('delete'), 'delete_');
  assert.is(mangle('loop'), 'loop_');
  assert.is(mangle('Math'), 'Math_');
  assert.is(mangle('größe'), 'grosse');
  assert.is(mangle('9lives'), '_9lives');
  assert.is(mangle('__x'), '_x');
  assert.is(mangle('a-b.c'), 'a_b_c');
  assert.is(mangle('変数'), '_n');
  for (const w of [...words, '', '_', '$', '💥', 'a b', '\n']) {
    const m = mangle(w);
    assert.match(m, /^[A-Za-z_][A-Za-z0-9_]*$/, w);
    assert.not.match(m, /^__/, `${w}: WGSL forbids a leading '__'`);
    for (const set of [jsReserved, tsReserved, wgslReserved, generatedNames]) assert.not.ok(set.has(m), `${w} -> ${m} is reserved`);
  }
});

test('NameTable: names that mangle alike, and their derived forms, stay apart', () => {
  const t = new NameTable();
  t.reserve('k00_relu');
  const forms = (id: string) => [`${id}Program`, `create${id}`];
  assert.is(t.claim('a-b', forms), 'a_b');
  assert.is(t.claim('a.b', forms), 'a_b_2');
  assert.is(t.claim('k00_relu', forms), 'k00_relu_2');
  // 'xProgram' is taken by x's derived form: the model called xProgram moves aside
  assert.is(t.claim('x', forms), 'x');
  assert.is(t.claim('xProgram', forms), 'xProgram_2');
});

test('commentText: one line, no comment end', () => {
  assert.is(commentText('a\nb\r\nc\u2028d */ e'), 'a b c d * / e');
});

/** The dim of the model named `w`: the next word (a dim and an input of one model cannot share a name). */
const dimOf = (w: string) => words[(words.indexOf(w) + 1) % words.length];

/** One model per word: model, input and layer named with it, its batch dim with the next word; a train block on every third. */
function source(list = words): string {
  return list
    .map((w, i) => {
      const d = dimOf(w);
      const model = `model ${w} {\n  input ${w}: f32[${d}, 3]\n  output y: f32[${d}, 2]\n  y = ${w} |> dense(2, name: "${w}") |> relu\n}\n`;
      return i % 3 === 0 ? `${model}train ${w} {\n  target: f32[${d}, 2]\n  loss = mse(y, target)\n  optimizer = sgd(lr: 0.1)\n}\n` : model;
    })
    .join('\n');
}

async function checkModels(mod: Record<string, unknown>, ids: Record<string, string>, options: CreateOptions, only?: string[]): Promise<void> {
  for (const w of only ?? words) {
    const create = mod[`create${ids[w]}`] as (o: CreateOptions) => Promise<Model>;
    assert.type(create, 'function', `create${ids[w]} for ${w}`);
    const m = await create({ seed: 1, ...options });
    assert.equal(m.signature.inputs, [{ name: w, dtype: 'f32', shape: [dimOf(w), 3] }], w);
    assert.equal(Object.keys(m.getWeights()).sort(), [`${w}.${w}.bias`, `${w}.${w}.weight`], w);
    const x = new Float32Array([1, -2, 3, 0.5, 0.25, -1]);
    const { y } = await m.predict({ [w]: x });
    assert.equal(y.shape, [2, 2], w);
    assert.ok(Array.from(y.data).every((v) => Number.isFinite(v) && v >= 0), `${w}: ${y.data}`);
    if (m.signature.trainInputs.length) {
      const r = await m.trainStep({ [w]: x, target: new Float32Array(4) });
      assert.ok(Number.isFinite(r.loss), w);
    }
    m.dispose();
  }
}

test(`${words.length} models named with reserved words and other scripts compile, import and predict (TS module)`, async () => {
  const r = compileSource(source(), 'reserved.dnn');
  assert.equal(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { files, ids } = emitModule(r.file!, { emit: 'ts', sourceName: 'reserved', runtimeImport: '../../../runtime/index.js' });
  assert.equal(Object.keys(ids).sort(), words);
  assert.is(new Set(Object.values(ids)).size, words.length, 'one identifier per name');
  const path = join(out, files[0].name);
  writeFileSync(path, files[0].text);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  await checkModels(mod, ids, { backend: 'cpu' });
  await checkModels(mod, ids, { backend: 'gpujs', gpujs: { mode: 'cpu' } }, words.filter((_, i) => i % 7 === 0));
  // a device per model is slow on a software adapter: a few models here, every word as a dim below
  if (await haveWebGpu()) await checkModels(mod, ids, { backend: 'webgpu' }, ['loop', 'delete', 'größe', 'Math']);
});

test('WGSL: every word as a symbolic dim (a field of the shader\'s dims uniform) compiles and runs on webgpu', async () => {
  const src = `model AllDims {\n${words.map((w, i) => `  input x${i}: f32[${w}, 2]\n  output o${i}: f32[${w}, 2]\n  o${i} = relu(x${i})\n`).join('')}}\n`;
  const r = compileSource(src, 'dims.dnn');
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const program = programFromModel(r.file!.models[0]);
  for (const k of Object.values(program.entries.predict!.wgsl ?? {}))
    for (const pass of k.passes) {
      const fields = /struct Dims \{([^}]*)\}/.exec(pass.code)?.[1].match(/[A-Za-z_]\w*(?=:)/g) ?? [];
      for (const f of fields) assert.not.ok(wgslReserved.has(f) || f.startsWith('__'), `field ${f} in\n${pass.code}`);
    }
  if (!(await haveWebGpu())) return;
  const m = await instantiate(program, { backend: 'webgpu' });
  const out = await m.predict(Object.fromEntries(words.map((_, i) => [`x${i}`, new Float32Array([1, -1, 2, -2])])));
  words.forEach((w, i) => assert.equal(Array.from(out[`o${i}`].data), [1, 0, 2, 0], w));
  m.dispose();
});

test('the JS module (--emit js) imports and predicts', () => {
  const sample = words.filter((_, i) => i % 5 === 0);
  const r = compileSource(source(sample), 'reserved.dnn');
  const runtime = pathToFileURL(join(process.cwd(), 'runtime', 'index.ts')).href;
  const { files, ids } = emitModule(r.file!, { emit: 'js', sourceName: 'reserved_js', runtimeImport: runtime });
  for (const f of files) writeFileSync(join(out, f.name), f.text);
  const script = join(out, 'import-js.mjs');
  writeFileSync(
    script,
    `const mod = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), out, 'reserved_js.js')).href)});
const ids = ${JSON.stringify(ids)};
for (const w of ${JSON.stringify(sample)}) {
  const m = await mod['create' + ids[w]]({ seed: 1 });
  const { y } = await m.predict({ [w]: new Float32Array(6) });
  if (y.shape.join() !== '2,2') throw new Error(w + ': ' + y.shape);
}
console.log('ok');\n`,
  );
  // the runtime is TypeScript source here: the child imports it through tsx
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
  assert.is(run.stdout.trim(), 'ok', run.stderr);
});

test.run();
