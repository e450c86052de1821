/** Shared by the short learning tests: train an example's train block on the first samples of its data sets. */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { loadDataset } from '../../runtime/data/index.js';
import { instantiate } from '../../runtime/index.js';
import type { Dataset } from '../../runtime/types.js';
import { dataBaselines, type BaselineMetrics } from '../../runtime/baselines/index.js';

/** the first n samples of a data set */
export function head(d: Dataset, n: number): Dataset {
  const fields: Dataset['fields'] = {};
  for (const [k, f] of Object.entries(d.fields)) {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    fields[k] = { ...f, data: f.data.slice(0, n * per) };
  }
  return { name: d.name, size: Math.min(n, d.size), fields };
}

/**
 * Compile `source`, train its model (seed 1) on the first `train` samples for
 * `epochs`, validating on `validation` samples of its validation split, then
 * score it once on `test` samples of its test split, beside the data set's
 * baselines fitted on the same train samples and scored on the same test ones.
 */
export async function learn(
  source: string,
  file: string,
  o: { train: number; validation: number; test?: number; epochs: number },
): Promise<{ metrics: Record<string, number>; baselines: BaselineMetrics; seconds: number }> {
  const res = compileSource(source, file);
  assert.equal(res.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`), []);
  const m = res.file!.models.find((x) => x.train)!;
  const t = m.train!;
  const model = await instantiate(programFromModel(m), { seed: 1 });
  const train = head(loadDataset(t.data!, '.'), o.train);
  const validation = head(loadDataset(t.validate!, '.'), o.validation);
  const test = head(loadDataset(t.test!, '.'), o.test ?? o.validation);
  const started = Date.now();
  await model.fit(train, { epochs: o.epochs, batchSize: t.batch, validation });
  const metrics = await model.evaluate(test, { batchSize: t.batch });
  const seconds = (Date.now() - started) / 1000;
  model.dispose();
  const baselines = dataBaselines(t.data!.name, { train, validation, evaluated: test });
  if (process.env.SEQ_DEBUG) console.log(`${JSON.stringify(metrics)} ${JSON.stringify(baselines)} in ${seconds.toFixed(1)} s`);
  return { metrics, baselines, seconds };
}
