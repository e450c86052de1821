/**
 * `dnnc evaluate FILE.dnn --weights W`: the metrics of trained weights on the
 * data sets of the train block: its validation set (the numbers `dnnc train`
 * ends its epochs with, for the same weights and batch size) and its test
 * set (the numbers it reports once at the end).
 */
import { dirname, resolve } from 'node:path';
import { loadDataset } from '../runtime/data/index.js';
import { load } from '../runtime/node.js';
import type { BackendName, Dataset, Model } from '../runtime/types.js';
import { CliError, compileOrReport } from './common.js';
import { loadFactory, pickTrainedModel, testSpec, validationSpec } from './module.js';
import { metricsLine } from './progress.js';

export interface EvaluateOpts {
  weights: string;
  json?: boolean;
  model?: string;
  batch?: number;
  backend: 'auto' | BackendName;
  param?: Record<string, number>;
}

export async function cmdEvaluate(file: string, opts: EvaluateOpts): Promise<void> {
  const { file: compiled } = compileOrReport(file, opts.param);
  const model = pickTrainedModel(compiled, file, opts.model);
  const train = model.train!;
  const baseDir = dirname(resolve(file));
  const specs = { validation: validationSpec(train.data, train.validate), test: testSpec(train.data, train.test) };
  if (!specs.validation && !specs.test) throw new CliError(`train block '${model.name}' in '${file}' names no validation or test data (validate = ..., test = ...): nothing to evaluate on`);
  const sets = Object.entries(specs).flatMap(([split, spec]) => (spec ? [[split, loadDataset(spec, baseDir)] as [string, Dataset]] : []));
  const create = await loadFactory(compiled, file, model.name);
  const instance = (await create({ backend: opts.backend })) as Model;
  try {
    // a file of several models: a trainer's weights hold the other models' tensors too
    load(instance, opts.weights, { allowExtra: compiled.models.length > 1 });
    const batchSize = opts.batch ?? train.batch;
    const results: Record<string, { data: string; samples: number; metrics: Record<string, number> }> = {};
    for (const [split, data] of sets) results[split] = { data: data.name, samples: data.size, metrics: await instance.evaluate(data, { batchSize }) };
    if (opts.json) {
      // `metrics` as in `dnnc train --json`: the test split's when there is one
      const line = { model: model.name, weights: opts.weights, metrics: (results.test ?? results.validation).metrics, ...(results.validation ? { validation: results.validation.metrics } : {}), data: results };
      process.stdout.write(JSON.stringify(line) + '\n');
    } else for (const [split, r] of Object.entries(results)) process.stdout.write(`${model.name} with ${opts.weights}, ${split} on ${r.data} (${r.samples} samples): ${metricsLine(r.metrics)}\n`);
  } finally {
    instance.dispose();
  }
}
