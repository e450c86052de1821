/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The reverse example (a one-layer Transformer encoder) on 4,000 sequences for one epoch: held-out
 * token accuracy on 500 sequences. The full run (README.md) reaches 1.0.
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

test('the reverse Transformer learns to reverse token sequences (held-out token_accuracy)', async () => {
  const source = readFileSync(new URL('../../examples/reverse/reverse.dnn', import.meta.url), 'utf8');
  const res = compileSource(source, 'reverse.dnn');
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  const m = res.file!.models.find((x) => x.train)!;
  const t = m.train!;
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const train = head(loadDataset(t.data!, '.'), 4000);
  const validation = head(loadDataset(t.validate!, '.'), 500);
  const started = Date.now();
  const r = await model.fit(train, { epochs: 1, batchSize: t.batch, validation });
  const seconds = (Date.now() - started) / 1000;
  const v = r.metrics.token_accuracy;
  if (process.env.SEQ_DEBUG) console.log(`${JSON.stringify(r.metrics)} in ${seconds.toFixed(1)} s`);
  assert.ok(v >= 0.97, `token_accuracy ${v} after ${seconds.toFixed(1)} s (want >= 0.97)`);
});

test.run();
