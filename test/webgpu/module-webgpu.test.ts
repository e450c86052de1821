/**
 * The generated module embeds the WGSL kernels as named constants (with
 * shape comments) next to the CPU kernels; it typechecks under strict mode,
 * and `create({ backend: 'webgpu' })` from it predicts like cpu.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Project } from 'ts-morph';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStats } from '../../codegen/stats.js';
import { compileSource } from '../../compiler/compile.js';
import { emitModule } from '../../codegen/module/emit.js';
import type { Model } from '../../runtime/types.js';
import { assertClose, haveWebGpu, rng } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'test/.out/webgpu');
mkdirSync(out, { recursive: true });
const sourceRuntime = '../../../runtime/index.js';

function emitted(): { path: string; text: string } {
  const file = 'examples/mlp/mlp.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  const { files } = emitModule(res.file!, { emit: 'ts', sourceName: 'mlp_webgpu_gen', runtimeImport: sourceRuntime });
  const path = join(out, files[0].name);
  writeFileSync(path, files[0].text);
  return { path, text: files[0].text };
}

test('the module embeds named WGSL constants with shape comments and wires them into the entries', () => {
  const { text } = emitted();
  assert.match(text, /\/\/ Models: LoanDefault\. Kernels: \d+ \(CPU\), \d+ \(WGSL\)\./);
  assert.match(text, /\/\*\* WGSL: matmul \+ add \+ relu f32\[B, 8\], f32\[8, 32\], f32\[32\] -> f32\[B, 32\] \*\/\nconst k\d+_\w+_wgsl: WgslKernelSpec = \{/);
  assert.match(text, /\/\/ in0: f32\[B, 8\]/);
  assert.match(text, /kind: 'temp', name: '[^']*', pack: 0 \}/);
  assert.match(text, /packed: \{\n    reads: /);
  assert.match(text, /@compute @workgroup_size\(16, 16, 1\)/);
  assert.match(text, /wgsl: \{ k\d+\w*: k\d+\w*_wgsl/);
  const problems = new Project({ tsConfigFilePath: join(root, 'tsconfig.json'), skipAddingFilesFromTsConfig: true })
    .addSourceFileAtPath(emitted().path)
    .getPreEmitDiagnostics()
    .map((d) => String(d.getMessageText()));
  assert.equal(problems, [], problems.join('\n'));
});

test("create({ backend: 'webgpu' }) from the generated module predicts like cpu", async () => {
  if (!(await haveWebGpu())) return;
  const { path } = emitted();
  const mod = (await import(pathToFileURL(path).href)) as { create(o?: { seed?: number; backend?: 'cpu' | 'webgpu' }): Promise<Model> };
  const cpu = await mod.create({ seed: 3, backend: 'cpu' });
  const gpu = await mod.create({ seed: 3, backend: 'webgpu' });
  try {
    assert.is(gpu.backend, 'webgpu');
    const next = rng(9);
    const features = { data: Float32Array.from({ length: 40 }, () => next() * 2 - 1), shape: [5, 8] };
    assertClose((await gpu.predict({ features })).logits.data, (await cpu.predict({ features })).logits.data, 'logits');
    // training through the module: the packs survive emission, so the Adam update is one packed dispatch
    const label = Int32Array.from({ length: 5 }, (_, i) => i % 2);
    for (let s = 0; s < 2; s++) assertClose([(await gpu.trainStep({ features, label })).loss], [(await cpu.trainStep({ features, label })).loss], `loss ${s}`);
    const res = compileSource(readFileSync('examples/mlp/mlp.dnn', 'utf8'), 'examples/mlp/mlp.dnn');
    const planned = fileStats(res.file!, { optimize: true, batch: 5 }).LoanDefault.trainStep;
    const prepared = (gpu as unknown as { entries: { trainStep: { prepared: { dispatchCount(): number } } } }).entries.trainStep.prepared;
    assert.is(prepared.dispatchCount(), planned.webgpuDispatches);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
});

test.run();
