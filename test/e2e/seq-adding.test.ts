/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The adding example with sequences of 20 steps instead of 50 (to stay fast),
 * 6,000 sequences, three epochs: held-out mse against the mean predictor's 0.167.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { loadDataset } from '../../runtime/data/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset } from '../../runtime/types.js';

/** the first n samples of a data set */
function head(d: Dataset, n: number): Dataset {
  const fields: Dataset['fields'] = {};
  for (const [k, f] of Object.entries(d.fields)) {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    fields[k] = { ...f, data: f.data.slice(0, n * per) };
  }
  return { name: d.name, size: Math.min(n, d.size), fields };
}

test('the adding-problem LSTM gets well below the mean predictor (held-out mse)', async () => {
  const source = readFileSync(new URL('../../examples/adding/adding.dnn', import.meta.url), 'utf8').replace('f32[B, 50, 2]', 'f32[B, 20, 2]').replace('adding(split: train)', 'adding(split: train, length: 20)').replace('adding(split: test)', 'adding(split: test, length: 20)');
  const res = compileSource(source, 'adding.dnn');
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  const m = res.file!.models.find((x) => x.train)!;
  const t = m.train!;
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const train = head(loadDataset(t.data!, '.'), 6000);
  const validation = head(loadDataset(t.validate!, '.'), 1000);
  const started = Date.now();
  const r = await model.fit(train, { epochs: 3, batchSize: t.batch, validation });
  const seconds = (Date.now() - started) / 1000;
  const v = r.metrics.mse;
  if (process.env.SEQ_DEBUG) console.log(`${JSON.stringify(r.metrics)} in ${seconds.toFixed(1)} s`);
  assert.ok(v <= 0.02, `mse ${v} after ${seconds.toFixed(1)} s (want <= 0.02 (the mean predictor scores 0.167))`);
});

test.run();
