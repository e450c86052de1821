/**
 * `dnnc train FILE.dnn`: compile, run the train block on its data set, and
 * keep what it learned.
 *
 *   --save OUT             a training checkpoint (weights, optimizer state,
 *                          position, seed) at the end, and every
 *                          --checkpoint-every N epochs; atomic writes
 *   --save-weights OUT     the weights alone at the end (what an app ships)
 *   --resume CKPT          continue a run: weights, optimizer state, step,
 *                          seed and position come from CKPT; the run goes on
 *                          to --epochs (default: the epochs CKPT's run
 *                          planned), bit for bit as if never stopped
 *   --init WEIGHTS         start from these weights, fresh optimizer (fine-tuning)
 *
 * With --save, SIGINT and SIGTERM stop the run after the batch in progress,
 * write a checkpoint at that exact position, and exit 130 / 143; a second
 * signal exits at once (the file on disk is then the last complete one).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadDataset } from '../runtime/data/index.js';
import { load, writeFileAtomic } from '../runtime/node.js';
import type { BackendName, CheckpointInfo, Dataset, FitResult, Model, Trainer } from '../runtime/types.js';
import { CliError, compileOrReport, EXIT_USAGE } from './common.js';
import type { CompiledFile } from '../compiler/compiled.js';
import type { BaselineMetrics } from '../runtime/baselines/index.js';
import { computeBaselines } from './baselines.js';
import { loadFactory, pickTarget, testSpec, validationSpec, type CreateFn, type TrainTarget } from './module.js';
import { makeReporter, metricsLine, round } from './progress.js';

export interface TrainOpts {
  continueOnNan?: boolean;
  epochs?: number;
  batch?: number;
  seed?: number;
  json?: boolean;
  param?: Record<string, number>;
  model?: string;
  backend: 'auto' | BackendName;
  save?: string;
  saveWeights?: string;
  checkpointEvery?: number;
  resume?: string;
  init?: string;
  /** several runs, one per seed: mean ± sd (no --save, --resume or --init) */
  seeds?: number[];
  /** false with --no-baselines */
  baselines?: boolean;
}

/** An output path must be writable before hours of training go into it: its folder exists, and it is not a folder itself. */
function checkOutputPath(path: string, flag: string): void {
  const dir = dirname(resolve(path));
  const problem = (() => {
    try {
      if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
      accessSync(dir, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `the folder ${dir} does not exist` : code === 'ENOTDIR' ? 'a part of the path is not a folder' : code === 'EACCES' ? `the folder ${dir} is not writable` : (e as Error).message;
    }
    if (existsSync(path) && statSync(path).isDirectory()) return 'it is a folder';
    return undefined;
  })();
  if (problem) throw new CliError(`${flag}: cannot write '${path}': ${problem}`);
}

/** Flags that do not go together, and output paths that cannot be written, before any work. */
function checkFlags(opts: TrainOpts): void {
  if (opts.save) checkOutputPath(opts.save, '--save');
  if (opts.saveWeights) checkOutputPath(opts.saveWeights, '--save-weights');
  if (opts.resume && opts.init) throw new CliError('--resume and --init exclude each other: --resume continues a run (optimizer state included), --init starts a new one from weights', EXIT_USAGE);
  if (opts.checkpointEvery !== undefined && !opts.save) throw new CliError('--checkpoint-every needs --save OUT (where the checkpoints go)', EXIT_USAGE);
  if (opts.save && opts.saveWeights && resolve(opts.save) === resolve(opts.saveWeights)) throw new CliError('--save and --save-weights name the same file', EXIT_USAGE);
  if (opts.seeds && (opts.save || opts.saveWeights || opts.resume || opts.init || opts.seed !== undefined))
    throw new CliError('--seeds runs several trainings and keeps none: it excludes --seed, --save, --save-weights, --resume and --init', EXIT_USAGE);
}

type Learner = Model | Trainer;

/** What every run of a train command shares: the compiled file, its target, its data sets and the module's factory. */
interface Setup {
  file: string;
  compiled: CompiledFile;
  target: TrainTarget;
  data: Dataset;
  validation?: Dataset;
  testSet?: Dataset;
  create: CreateFn;
  say: (line: string) => void;
}

/** One training run's outcome. */
interface Run {
  result: FitResult;
  testMetrics?: Record<string, number>;
  epochs: number;
  batchSize: number;
  /** the signal that stopped it, after its checkpoint was written */
  signal?: NodeJS.Signals;
}

export async function cmdTrain(file: string, opts: TrainOpts): Promise<number> {
  checkFlags(opts);
  const { file: compiled } = compileOrReport(file, opts.param);
  const target = pickTarget(compiled, file, opts.model);
  if (!target.data) throw new CliError(`train block '${target.name}' in '${file}' names no data (data = ...); add one, or drive training from TypeScript`);
  const baseDir = dirname(resolve(file));
  const vspec = target.validates ? validationSpec(target.data, target.validate) : undefined;
  const tspec = target.validates ? testSpec(target.data, target.test) : undefined;
  const progressOut = opts.json ? process.stderr : process.stdout;
  const setup: Setup = {
    file,
    compiled,
    target,
    data: loadDataset(target.data, baseDir),
    validation: vspec ? loadDataset(vspec, baseDir) : undefined,
    testSet: tspec ? loadDataset(tspec, baseDir) : undefined,
    create: await loadFactory(compiled, file, target.name),
    say: (line) => void progressOut.write(line + '\n'),
  };
  const seeds = opts.seeds ?? [opts.seed ?? target.seed];
  const runs: { seed: number | undefined; run: Run }[] = [];
  const started = Date.now();
  for (const seed of seeds) {
    if (seeds.length > 1) setup.say(`---- seed ${seed}`);
    const run = await trainOnce(setup, opts, seed);
    if (run.signal) {
      setup.say(`stopped by ${run.signal}: checkpoint written to ${opts.save}; continue with --resume ${opts.save}`);
      if (opts.json) process.stdout.write(JSON.stringify({ interrupted: true, checkpoint: opts.save, epochs: run.result.epochs }) + '\n');
      return run.signal === 'SIGTERM' ? 143 : 130;
    }
    runs.push({ seed, run });
  }
  const baselines = opts.baselines !== false && setup.testSet ? await baselinesOf(setup, opts, runs[0]) : undefined;
  report(setup, opts, runs, baselines, (Date.now() - started) / 1000);
  return 0;
}

/** One run: create, load (--init / --resume), fit, save, test once. */
async function trainOnce(setup: Setup, opts: TrainOpts, seed: number | undefined): Promise<Run> {
  const { data, validation, testSet, say } = setup;
  const instance: Learner = await setup.create({ ...(seed !== undefined ? { seed } : {}), backend: opts.backend });
  let resumed: CheckpointInfo | undefined;
  try {
    if (opts.init) {
      load(instance, opts.init);
      say(`starting from the weights in ${opts.init} (fresh optimizer state)`);
    }
    if (opts.resume) resumed = resumeFrom(instance, opts, data.size, opts.epochs);
  } catch (e) {
    instance.dispose();
    throw e;
  }
  const epochs = opts.epochs ?? resumed?.epochs ?? setup.target.epochs;
  const batchSize = opts.batch ?? resumed?.batchSize ?? setup.target.batch;
  const initialEpoch = resumed?.epoch ?? 0;
  const initialBatch = resumed?.batch ?? 0;

  const saveCheckpoint = async () => {
    if (opts.save) writeFileAtomic(opts.save, await instance.saveCheckpoint());
  };
  const reporter = makeReporter(opts.json ? process.stderr : process.stdout, data, validation);
  reporter.start(setup.target.name, setup.file, epochs, batchSize, instance.backend);
  if (resumed) say(`resuming from ${opts.resume}: ${initialEpoch} epoch(s) and ${initialBatch} batch(es) done, ${resumed.step ?? 0} step(s)`);

  const abort = new AbortController();
  let signal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(s === 'SIGINT' ? 130 : 143); // second signal: at once
    signal = s;
    abort.abort();
  };
  if (opts.save) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let result: FitResult;
  let testMetrics: Record<string, number> | undefined;
  try {
    if (initialEpoch === epochs) {
      result = { epochs: 0, history: [], metrics: validation ? await (instance as Model).evaluate(validation, { batchSize }) : {}, seconds: 0 };
    } else {
      result = await instance.fit(data, {
        epochs,
        batchSize,
        validation,
        initialEpoch,
        initialBatch,
        signal: abort.signal,
        continueOnNaN: !!opts.continueOnNan,
        onBatch: (p) => reporter.batch(p),
        onEpoch: async (e) => {
          reporter.epoch(e, epochs);
          if (opts.checkpointEvery && e.epoch % opts.checkpointEvery === 0 && e.epoch < epochs) await saveCheckpoint();
        },
      });
    }
    reporter.stop();
    // the end of the run, or where a signal stopped it: the checkpoint resumes from there
    await saveCheckpoint();
    if (opts.saveWeights && !result.interrupted) writeFileAtomic(opts.saveWeights, await instance.saveWeights());
    // the test split, once, after every choice was made on validation
    if (testSet && !result.interrupted) testMetrics = await (instance as Model).evaluate(testSet, { batchSize });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    instance.dispose();
  }
  if (result.interrupted) return { result, epochs, batchSize, signal };
  reporter.done(result, validation !== undefined);
  if (testMetrics) say(`test metrics on ${testSet!.name} (${testSet!.size} samples, reported once): ${metricsLine(testMetrics)}`);
  for (const [what, path] of [['checkpoint', opts.save], ['weights', opts.saveWeights]] as const) if (path) say(`${what} written to ${path}`);
  return { result, testMetrics, epochs, batchSize };
}

/** The baselines of the model and its data, trained like the first run. */
async function baselinesOf(setup: Setup, opts: TrainOpts, first: { seed: number | undefined; run: Run }): Promise<BaselineMetrics | undefined> {
  const model = setup.compiled.models.find((m) => m.name === setup.target.name);
  if (!model || !setup.testSet || !setup.target.data) return undefined;
  setup.say('computing baselines on the test split...');
  const baselines = await computeBaselines({
    compiled: setup.compiled,
    file: setup.file,
    model,
    data: setup.target.data,
    train: setup.data,
    validation: setup.validation,
    test: setup.testSet,
    epochs: first.run.epochs,
    batchSize: first.run.batchSize,
    seed: first.seed,
    backend: opts.backend,
    params: opts.param,
  });
  for (const [name, metrics] of Object.entries(baselines)) setup.say(`  baseline ${name}: ${metricsLine(metrics)}`);
  return baselines;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** Per metric: mean and sample standard deviation over the runs. */
function spread(all: Record<string, number>[]): { mean: Record<string, number>; sd: Record<string, number> } {
  const keys = Object.keys(all[0] ?? {});
  return {
    mean: Object.fromEntries(keys.map((k) => [k, mean(all.map((m) => m[k]))])),
    sd: Object.fromEntries(keys.map((k) => [k, sd(all.map((m) => m[k]))])),
  };
}

/** The closing lines: over seeds, mean ± sd; with --json, one line { metrics, validation, baselines, seeds, ... }. */
function report(setup: Setup, opts: TrainOpts, runs: { seed: number | undefined; run: Run }[], baselines: BaselineMetrics | undefined, seconds: number): void {
  const finals = runs.map((r) => r.run.testMetrics ?? r.run.result.metrics);
  const validations = runs.map((r) => r.run.result.metrics);
  const over = spread(finals);
  if (runs.length > 1) {
    const text = Object.keys(over.mean).map((k) => `${k} ${over.mean[k].toFixed(4)} ± ${over.sd[k].toFixed(4)}`).join(', ');
    setup.say(`over ${runs.length} seeds (${runs.map((r) => r.seed).join(', ')}), ${setup.testSet ? 'test' : 'final'} metrics, mean ± sd: ${text}`);
  }
  if (!opts.json) return;
  const line: Record<string, unknown> = {
    metrics: runs.length > 1 ? over.mean : finals[0],
    ...(setup.validation ? { validation: runs.length > 1 ? spread(validations).mean : validations[0] } : {}),
    ...(baselines ? { baselines } : {}),
    ...(runs.length > 1 ? { sd: over.sd, seeds: runs.map((r, i) => ({ seed: r.seed, metrics: finals[i], ...(setup.validation ? { validation: validations[i] } : {}) })) } : {}),
    epochs: runs[0].run.result.epochs,
    seconds: round(seconds, 3),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

/** Loads a checkpoint to continue from; its seed and batching must agree with the flags. */
function resumeFrom(instance: Learner, opts: TrainOpts, samples: number, epochs: number | undefined): CheckpointInfo {
  const info = load(instance, opts.resume!, { checkpoint: true });
  const [e, b, total] = [info.epoch ?? 0, info.batch ?? 0, epochs ?? info.epochs ?? 0];
  if (epochs !== undefined && (e > total || (e === total && b > 0)))
    throw new CliError(`${opts.resume} is at epoch ${e}${b ? `, batch ${b}` : ''}, past the ${total} epoch(s) asked for: give --epochs above ${e}`);
  if (opts.seed !== undefined && info.seed !== undefined && opts.seed !== info.seed)
    throw new CliError(`--seed ${opts.seed} differs from the seed ${info.seed} of ${opts.resume}: a resumed run keeps its seed (leave --seed out)`, EXIT_USAGE);
  if (info.samples !== undefined && info.samples !== samples)
    throw new CliError(`${opts.resume} was written while training on ${info.samples} samples, but the data set now has ${samples}: the position cannot be resumed (use --init to start a new run from its weights)`);
  if ((info.batch ?? 0) > 0 && opts.batch !== undefined && info.batchSize !== undefined && opts.batch !== info.batchSize)
    throw new CliError(`${opts.resume} stopped in the middle of an epoch at batch size ${info.batchSize}: resume it with that batch size (leave --batch out)`, EXIT_USAGE);
  return info;
}
