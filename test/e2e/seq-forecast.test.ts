/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The forecast example (GRU) on the first 3,000 training windows for one epoch:
 * skill = 1 - mse / persistence mse on the held-out tail of the series.
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

test('the GRU forecaster beats persistence on the held-out tail (skill)', async () => {
  const source = readFileSync(new URL('../../examples/forecast/forecast.dnn', import.meta.url), 'utf8');
  const res = compileSource(source, 'forecast.dnn');
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  const m = res.file!.models.find((x) => x.train)!;
  const t = m.train!;
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const train = head(loadDataset(t.data!, '.'), 3000);
  const validation = head(loadDataset(t.validate!, '.'), 1200);
  const started = Date.now();
  const r = await model.fit(train, { epochs: 1, batchSize: t.batch, validation });
  const seconds = (Date.now() - started) / 1000;
  const v = r.metrics.skill;
  if (process.env.SEQ_DEBUG) console.log(`${JSON.stringify(r.metrics)} in ${seconds.toFixed(1)} s`);
  assert.ok(v >= 0.7, `skill ${v} after ${seconds.toFixed(1)} s (want >= 0.7)`);
});

test.run();
