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
import type { BackendName, CheckpointInfo, FitResult, Model, Trainer } from '../runtime/types.js';
import { FileError } from '../compiler/files.js';
import { CliError, compileOrReport, EXIT_USAGE } from './common.js';
import { checkOutputDir } from './fs-errors.js';
import { loadFactory, pickTarget, validationSpec } from './module.js';
import { makeReporter, round } from './progress.js';

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
  try {
    checkOutputDir(dir); // not on a pseudo file system such as /proc
  } catch (e) {
    if (e instanceof FileError) throw new CliError(`${flag}: cannot write '${path}': ${e.message}`);
    throw e;
  }
}

/** Flags that do not go together, and output paths that cannot be written, before any work. */
function checkFlags(opts: TrainOpts): void {
  if (opts.save) checkOutputPath(opts.save, '--save');
  if (opts.saveWeights) checkOutputPath(opts.saveWeights, '--save-weights');
  if (opts.resume && opts.init) throw new CliError('--resume and --init exclude each other: --resume continues a run (optimizer state included), --init starts a new one from weights', EXIT_USAGE);
  if (opts.checkpointEvery !== undefined && !opts.save) throw new CliError('--checkpoint-every needs --save OUT (where the checkpoints go)', EXIT_USAGE);
  if (opts.save && opts.saveWeights && resolve(opts.save) === resolve(opts.saveWeights)) throw new CliError('--save and --save-weights name the same file', EXIT_USAGE);
}

type Learner = Model | Trainer;

export async function cmdTrain(file: string, opts: TrainOpts): Promise<number> {
  checkFlags(opts);
  const { file: compiled } = compileOrReport(file, opts.param);
  const target = pickTarget(compiled, file, opts.model);
  if (!target.data) throw new CliError(`train block '${target.name}' in '${file}' names no data (data = ...); add one, or drive training from TypeScript`);

  const baseDir = dirname(resolve(file));
  const data = loadDataset(target.data, baseDir);
  const vspec = target.validates ? validationSpec(target.data, target.validate) : undefined;
  const validation = vspec ? loadDataset(vspec, baseDir) : undefined;
  const create = await loadFactory(compiled, file, target.name);

  const seed = opts.seed ?? target.seed;
  const instance: Learner = await create({ ...(seed !== undefined ? { seed } : {}), backend: opts.backend });
  const progressOut = opts.json ? process.stderr : process.stdout;
  const say = (line: string) => void progressOut.write(line + '\n');
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
  const epochs = opts.epochs ?? resumed?.epochs ?? target.epochs;
  const batchSize = opts.batch ?? resumed?.batchSize ?? target.batch;
  const initialEpoch = resumed?.epoch ?? 0;
  const initialBatch = resumed?.batch ?? 0;

  const saveCheckpoint = async () => {
    if (opts.save) writeFileAtomic(opts.save, await instance.saveCheckpoint());
  };
  const reporter = makeReporter(progressOut, data, validation);
  reporter.start(target.name, file, epochs, batchSize, instance.backend);
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
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    instance.dispose();
  }
  if (result.interrupted) {
    say(`stopped by ${signal}: checkpoint written to ${opts.save}; continue with --resume ${opts.save}`);
    if (opts.json) process.stdout.write(JSON.stringify({ interrupted: true, checkpoint: opts.save, epochs: result.epochs }) + '\n');
    return signal === 'SIGTERM' ? 143 : 130;
  }
  reporter.done(result, validation !== undefined);
  for (const [what, path] of [['checkpoint', opts.save], ['weights', opts.saveWeights]] as const) if (path) say(`${what} written to ${path}`);
  if (opts.json) process.stdout.write(JSON.stringify({ metrics: result.metrics, epochs: result.epochs, seconds: round(result.seconds, 3) }) + '\n');
  return 0;
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
