/**
 * Golden files of the fused kernel groups and the dispatch and memory figures
 * of every example: test/golden/fusion/<example>.txt. A change in fusion shows
 * up here as a diff to read (UPDATE_GOLDEN=1 rewrites). Fusion must never
 * cost dispatches or memory against -O0.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStats } from '../../codegen/stats.js';
import { compileSource } from '../../compiler/compile.js';
import { fuseGraph, printFusion } from '../../compiler/passes/fuse.js';

const update = process.env.UPDATE_GOLDEN === '1';
const examples = readdirSync('examples')
  .filter((d) => existsSync(join('examples', d, `${d}.dnn`)))
  .sort();

for (const name of examples) {
  test(`fused groups and dispatches: examples/${name}`, () => {
    const file = join('examples', name, `${name}.dnn`);
    const res = compileSource(readFileSync(file, 'utf8'), file, { sourceDir: join('examples', name) });
    assert.equal(res.diagnostics.map((d) => d.message), []);
    const f = res.file!;
    const graphs = [...f.models.flatMap((m) => [m.predict, ...(m.train ? [m.train.step] : [])]), ...(f.trainers ?? []).flatMap((t) => t.steps.map((s) => s.graph))];
    const fused = fileStats(f, { optimize: true, batch: 64 });
    const plain = fileStats(f, { optimize: false, batch: 64 });
    const lines: string[] = [];
    for (const [entity, entries] of Object.entries(fused))
      for (const [entry, st] of Object.entries(entries)) {
        const o0 = plain[entity][entry];
        lines.push(`${entity}.${entry}: ${st.dispatches} dispatches (-O0 ${o0.dispatches}), ${st.peakBytes} temp bytes at batch 64 (-O0 ${o0.peakBytes})`);
        assert.ok(st.dispatches <= o0.dispatches, `${entity}.${entry}: fusion must not add dispatches`);
        assert.ok(st.peakBytes <= o0.peakBytes, `${entity}.${entry}: the memory plan must not use more than -O0`);
      }
    const text = [...lines, '', ...graphs.map((g) => printFusion(g, fuseGraph(g), true))].join('\n') + '\n';
    const golden = join('test/golden/fusion', `${name}.txt`);
    if (update || !existsSync(golden)) {
      if (!update) throw new Error(`missing ${golden} (UPDATE_GOLDEN=1 creates it)`);
      writeFileSync(golden, text);
      return;
    }
    assert.fixture(text, readFileSync(golden, 'utf8'));
  });
}

test('LeNet-5 (bench model): fusion cuts dispatches and memory well below -O0', () => {
  const file = 'bench/models/lenet5.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  const f = res.file!;
  const fused = fileStats(f, { optimize: true, batch: 64 })[f.models[0].name];
  const plain = fileStats(f, { optimize: false, batch: 64 })[f.models[0].name];
  assert.ok(fused.predict.dispatches <= 8, `predict: ${fused.predict.dispatches} dispatches`);
  assert.ok(fused.trainStep.dispatches * 3 < plain.trainStep.dispatches, `trainStep: ${fused.trainStep.dispatches} vs -O0 ${plain.trainStep.dispatches}`);
  assert.ok(fused.trainStep.peakBytes < plain.trainStep.peakBytes / 2);
});

test.run();
