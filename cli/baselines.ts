/**
 * The baselines `dnnc train` prints beside the test metrics:
 *   - the data set's own (runtime/baselines: majority class, forecasts,
 *     n-gram counts, ...), fitted on train, scored on the test split;
 *   - `linear`: the model with its network replaced by one dense layer
 *     (logistic regression for a classifier, a linear map for a regressor),
 *     trained the same way (the same train block: loss, optimizer, schedule,
 *     batch, epochs, seed) and scored with the same metrics. For models with
 *     one f32 input and outputs of shape [B, C].
 *
 * Algorithm (linear): parse the .dnn text, keep the model's input, output
 * and param declarations, replace the rest of its body by
 * `out = in |> flatten |> dense(C)`, compile the edited text, train and
 * evaluate it through the generated module like the model itself.
 */
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { CompiledFile, CompiledModel, DataSpec } from '../compiler/compiled.js';
import { compileSource } from '../compiler/compile.js';
import { parse } from '../grammar/index.js';
import { dataBaselines, type BaselineMetrics } from '../runtime/baselines/index.js';
import type { BackendName, Dataset, Model } from '../runtime/types.js';
import { loadFactory } from './module.js';

/** The .dnn text with model `name`'s network replaced by one dense layer, or undefined when the model does not have that form. */
export function linearVariant(source: string, file: string, model: CompiledModel): string | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  const [input] = model.inputs;
  const [output] = model.outputs;
  if (input.dtype !== 'f32' || output.dtype !== 'f32' || output.shape.length !== 2 || typeof output.shape[1] !== 'number') return undefined;
  const decl = parse(source, file).program.items.find((i) => i.kind === 'Model' && i.name.name === model.name);
  if (!decl || decl.kind !== 'Model') return undefined;
  const network = decl.body.filter((st) => st.kind !== 'Input' && st.kind !== 'Output' && st.kind !== 'Param');
  if (network.length === 0) return undefined;
  const start = Math.min(...network.map((st) => st.span.offset));
  const end = Math.max(...network.map((st) => st.span.endOffset));
  const flatten = input.shape.length > 2 ? ' |> flatten' : '';
  return `${source.slice(0, start)}${output.name} = ${input.name}${flatten} |> dense(${output.shape[1]})${source.slice(end)}`;
}

export interface BaselineRun {
  compiled: CompiledFile;
  file: string;
  model: CompiledModel;
  data: DataSpec;
  train: Dataset;
  validation?: Dataset;
  test: Dataset;
  epochs: number;
  batchSize: number;
  seed?: number;
  backend: 'auto' | BackendName;
  params?: Record<string, number>;
}

/** Every baseline that applies, scored on the test split. */
export async function computeBaselines(run: BaselineRun): Promise<BaselineMetrics> {
  const out = dataBaselines(run.data.name, { train: run.train, validation: run.validation, evaluated: run.test });
  const linear = await linearBaseline(run);
  if (linear) out.linear = linear;
  return out;
}

async function linearBaseline(run: BaselineRun): Promise<Record<string, number> | undefined> {
  const source = readFileSync(resolve(run.file), 'utf8');
  const edited = linearVariant(source, run.file, run.model);
  if (!edited) return undefined;
  const result = compileSource(edited, run.file, { sourceDir: dirname(resolve(run.file)), ...(run.params ? { params: run.params } : {}) });
  if (!result.file || result.diagnostics.some((d) => d.severity === 'error')) return undefined; // e.g. a loss that reads a layer the linear form lacks
  const create = await loadFactory(result.file, run.file, run.model.name);
  const model = (await create({ ...(run.seed !== undefined ? { seed: run.seed } : {}), backend: run.backend })) as Model;
  try {
    await model.fit(run.train, { epochs: run.epochs, batchSize: run.batchSize, validation: run.validation });
    return await model.evaluate(run.test, { batchSize: run.batchSize });
  } finally {
    model.dispose();
  }
}
