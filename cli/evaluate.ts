/**
 * `dnnc evaluate FILE.dnn --weights W`: the validation metrics of trained
 * weights, on the data set the train block validates on (the same numbers
 * `dnnc train` ends with, for the same weights and batch size).
 */
import { dirname, resolve } from 'node:path';
import { loadDataset } from '../runtime/data/index.js';
import { load } from '../runtime/node.js';
import type { BackendName, Model } from '../runtime/types.js';
import { CliError, compileOrReport } from './common.js';
import { loadFactory, pickTrainedModel, validationSpec } from './module.js';
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
  const spec = train.data ? validationSpec(train.data, train.validate) : train.validate;
  if (!spec) throw new CliError(`train block '${model.name}' in '${file}' names no validation data (validate = ...): nothing to evaluate on`);
  const data = loadDataset(spec, dirname(resolve(file)));
  const create = await loadFactory(compiled, file, model.name);
  const instance = (await create({ backend: opts.backend })) as Model;
  try {
    // a file of several models: a trainer's weights hold the other models' tensors too
    load(instance, opts.weights, { allowExtra: compiled.models.length > 1 });
    const batchSize = opts.batch ?? train.batch;
    const metrics = await instance.evaluate(data, { batchSize });
    if (opts.json) process.stdout.write(JSON.stringify({ model: model.name, weights: opts.weights, data: data.name, samples: data.size, metrics }) + '\n');
    else process.stdout.write(`${model.name} with ${opts.weights} on ${data.name} (${data.size} samples): ${metricsLine(metrics)}\n`);
  } finally {
    instance.dispose();
  }
}
