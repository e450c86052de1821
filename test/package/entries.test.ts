/**
 * The package's entries, imported by name as an app imports them (Node
 * resolves `dnnc/...` through package.json's exports to dist/):
 *   - `dnnc`: the runtime, whose static imports stay inside the package
 *     (no dependency is loaded by an app that only runs generated modules);
 *   - `dnnc/compiler`: compile a .dnn source and instantiate it in process;
 *   - `dnnc/data`: the built-in data sets (mnist also from digits in memory);
 *   - `dnnc/node`: weights and checkpoints as files.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureDist } from '../helpers/browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
ensureDist(root);

type CompilerEntry = typeof import('../../codegen/entry.js');
type DataEntry = typeof import('../../runtime/data/index.js');
type RuntimeEntry = typeof import('../../runtime/index.js');
type NodeEntry = typeof import('../../runtime/node.js');

/** an entry by its package name, resolved by Node through package.json's exports (the types are the sources') */
const entry = <T>(name: string): Promise<T> => import(name) as Promise<T>;

const SOURCE = `
model Tiny {
  input  x: f32[B, 4]
  output y: f32[B, 3]
  y = x |> dense(3)
}
`;

/** every module reachable from `file` through static imports, and the bare specifiers (packages) among those imports */
function staticGraph(file: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (f: string): void => {
    if (files.has(f)) return;
    files.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(f), spec));
      else packages.add(spec);
    }
  };
  visit(file);
  return { files, packages };
}

test("'dnnc' (the runtime) imports no package: an app that runs generated modules loads none of the compiler's dependencies", async () => {
  const runtime = await entry<RuntimeEntry>('dnnc');
  assert.type(runtime.instantiate, 'function');
  assert.type(runtime.instantiateTrainer, 'function');
  const { files, packages } = staticGraph(join(root, 'dist/runtime/index.js'));
  assert.equal([...packages], [], 'packages imported statically by the runtime');
  const outside = [...files].filter((f) => !f.startsWith(join(root, 'dist/runtime')) && !f.startsWith(join(root, 'dist/compiler/dims')));
  assert.equal(outside, [], 'files of the runtime graph outside dist/runtime');
});

test("'dnnc/compiler' compiles a source and instantiates it in process", async () => {
  const compiler = await entry<CompilerEntry>('dnnc/compiler');
  const model = await compiler.instantiateSource(SOURCE, { file: 'tiny.dnn', backend: 'cpu', seed: 3 });
  try {
    const out = await model.predict({ x: { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), shape: [2, 4] } });
    assert.equal(out.y.shape, [2, 3]);
    assert.is(model.name, 'Tiny');
  } finally {
    model.dispose();
  }
  const { files } = compiler.emitModule(compiler.compileOrThrow(SOURCE, { file: 'tiny.dnn' }), { emit: 'ts', sourceName: 'tiny' });
  assert.match(files[0].text, /from 'dnnc'/);
});

test("'dnnc/compiler' reports a source that does not compile as a CompileError with located diagnostics", async () => {
  const compiler = await entry<CompilerEntry>('dnnc/compiler');
  try {
    await compiler.instantiateSource(SOURCE.replace('dense(3)', 'dens(3)'), { file: 'bad.dnn' });
    assert.unreachable('compiled');
  } catch (e) {
    assert.instance(e, compiler.CompileError);
    const err = e as InstanceType<CompilerEntry['CompileError']>;
    assert.match(err.message, /bad\.dnn:5:\d+: error DNN\d+: .*'dens'.*did you mean 'dense'/);
    assert.ok(err.diagnostics.length > 0);
  }
});

test("'dnnc/data' loads the built-in data sets and the ones a project registers", async () => {
  const data = await entry<DataEntry>('dnnc/data');
  const train = data.loadDataset({ name: 'mnist', args: { split: 'validation' } }, '.');
  assert.ok(train.size > 0);
  assert.ok(data.datasetNames().includes('mnist'));
  assert.type(data.loans, 'function');
  data.registerDataset({
    name: 'entry_probe',
    doc: 'entry_probe(): two samples',
    params: [],
    fields: () => [{ name: 'x', dtype: 'f32', shape: [1] }],
    load: () => ({ name: 'entry_probe', size: 2, fields: { x: { dtype: 'f32', sampleShape: [1], data: new Float32Array([1, 2]) } } }),
  });
  try {
    assert.is(data.loadDataset({ name: 'entry_probe', args: {} }, '.').size, 2);
  } finally {
    data.unregisterDataset('entry_probe');
  }
});

test("'dnnc/data': mnist from digits given in memory (as a browser fetches them) is the same split as the Node reader's", async () => {
  const data = await entry<DataEntry>('dnnc/data');
  const dir = join(dirname(fileURLToPath(import.meta.resolve('mnist/package.json'))), 'src/digits');
  const perDigit = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  for (const split of ['train', 'test'] as const) {
    const given = data.mnistFromDigits(perDigit, { split, scale: [-1, 1] });
    const read = data.mnist({ split, scale: [-1, 1] });
    assert.is(given.size, read.size);
    assert.equal(given.fields.label.data, read.fields.label.data, `${split} labels`);
    assert.equal(given.fields.image.data, read.fields.image.data, `${split} images`);
  }
  assert.throws(() => data.mnistFromDigits(perDigit.slice(0, 9), { split: 'test' }), /expected the images of 10 digits/);
});

test("'dnnc/node' saves and loads weights files", async () => {
  const node = await entry<NodeEntry>('dnnc/node');
  assert.type(node.save, 'function');
  assert.type(node.load, 'function');
});

test.run();
