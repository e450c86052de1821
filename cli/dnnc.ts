#!/usr/bin/env node
/**
 * dnnc: the command line.
 *
 *   dnnc compile FILE.dnn -o DIR [--emit ts|js] [--param NAME=VALUE ...]
 *   dnnc check FILE.dnn
 *   dnnc ir FILE.dnn [--stage lowered|optimized|train|fused] [--explain]
 *   dnnc stats FILE.dnn [-O0] [--batch N]
 *   dnnc compile FILE.dnn -O0 ...   (no fusion, no buffer reuse)
 *   dnnc train FILE.dnn [--epochs N] [--batch N] [--seed N] [--json] [--param NAME=VALUE ...]
 *
 * Exit codes: 0 success, 1 the .dnn file (or its data) has errors, 2 usage
 * errors (unknown command or flag, missing file), 70 internal errors. User
 * errors are one line (`dnnc: error: ...`) or located diagnostics, never a
 * stack trace; an internal error shows its stack only with DNNC_DEBUG=1.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CompiledFile, CompiledModel, DataSpec } from '../compiler/compiled.js';
import { formatDiagnostic, formatDiagnostics, type Diagnostic } from '../compiler/diagnostics.js';
import { compileFile } from '../compiler/index.js';
import { fuseGraph, printFusion } from '../compiler/passes/fuse.js';
import { MAX_BATCH } from '../compiler/limits.js';
import { isUserFacingError, loadDataset } from '../runtime/data/index.js';
import { checkOutputDir, fileErrorMessage, writingTo } from './fs-errors.js';
import type { BatchProgress, BackendName, Dataset, EpochResult, FitResult, Model } from '../runtime/types.js';

const EXIT_USER = 1;
const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;

/** An error to print as one line and exit with `code` (no stack). */
class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT_USER,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Diagnostics were printed; exit 1. */
class DiagnosticsReported extends Error {
  constructor() {
    super('diagnostics reported');
  }
}

// ------------------------------------------------------------ package facts

/** The package root: the nearest folder above this file whose package.json is dnnc's. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'dnnc') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the dnnc package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}

// ------------------------------------------------------------ argument parsers

function collectParam(value: string, previous: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
  if (!m || !Number.isFinite(Number(m[2]))) throw new InvalidArgumentError('expected NAME=NUMBER, e.g. --param D=64.');
  return { ...previous, [m[1]]: Number(m[2]) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

/** A batch size: a positive integer up to MAX_BATCH. */
function batchSize(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_BATCH) throw new InvalidArgumentError(`expected at most ${MAX_BATCH.toLocaleString('en-US')}.`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

// ------------------------------------------------------------ compiling

/** The file must exist and not be a folder: a usage error (exit 2) otherwise; other trouble reading it is exit 1 (compileFile). */
function requireFile(file: string): void {
  if (!existsSync(file)) throw new CliError(`cannot read '${file}': no such file`, EXIT_USAGE);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`cannot read '${file}': it is a folder`, EXIT_USAGE);
}

function printDiagnostics(diags: Diagnostic[], sources: Map<string, string>, hasErrors: boolean): void {
  if (diags.length === 0) return;
  const text = hasErrors ? formatDiagnostics(diags, sources) : diags.map((d) => formatDiagnostic(d, sources)).join('\n\n');
  process.stderr.write(text + '\n');
}

/** Compiles or reports: returns the file and its stage dumps, or throws DiagnosticsReported after printing. */
function compileOrReport(file: string, params: Record<string, number> | undefined): ReturnType<typeof compileFile> & { file: CompiledFile } {
  requireFile(file);
  const result = compileFile(file, params ? { params } : undefined);
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');
  printDiagnostics(result.diagnostics, result.sources, hasErrors || !result.file);
  if (hasErrors || !result.file) throw new DiagnosticsReported();
  return result as ReturnType<typeof compileFile> & { file: CompiledFile };
}

function writeFiles(dir: string, files: { name: string; text: string }[]): string[] {
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    writingTo(path, () => {
      mkdirSync(dirname(path), { recursive: true });
      if (!existsSync(path) || readFileSync(path, 'utf8') !== f.text) writeFileSync(path, f.text);
    });
    written.push(path);
  }
  return written;
}

/** The module emitter, loaded on first use: it brings ts-morph, which `check` and `ir` do not need. */
async function loadEmitter(): Promise<typeof import('../codegen/module/index.js')['emitModule']> {
  return (await import('../codegen/module/index.js')).emitModule;
}

// ------------------------------------------------------------ commands

interface CompileOpts {
  O0?: boolean;
  backend?: string;
  out?: string;
  emit: 'ts' | 'js';
  param?: Record<string, number>;
  runtime?: string;
}

async function cmdCompile(file: string, opts: CompileOpts): Promise<void> {
  checkOutputDir(opts.out ?? dirname(file)); // before any work
  const result = compileOrReport(file, opts.param);
  await reportBackend(result, opts.backend);
  const compiled = result.file;
  const emitModule = await loadEmitter();
  const outDir = opts.out ?? dirname(file);
  const { files } = emitModule(compiled, { emit: opts.emit, sourceName: basename(file).replace(/\.dnn$/, ''), optimize: !opts.O0, ...(opts.runtime ? { runtimeImport: opts.runtime } : {}) });
  for (const path of writeFiles(outDir, files)) process.stdout.write(`wrote ${path}\n`);
}

/** With --backend webgpu|gpujs: ops that backend has no kernel for are errors, located where they come from. */
async function reportBackend(result: ReturnType<typeof compileOrReport>, backend: string | undefined): Promise<void> {
  if (!backend || backend === 'cpu' || backend === 'auto') return;
  const { backendDiagnostics } = await import('../codegen/backend-support.js');
  const diags = backendDiagnostics(result.file, backend as 'webgpu' | 'gpujs');
  if (diags.length === 0) return;
  printDiagnostics(diags, result.sources, true);
  throw new DiagnosticsReported();
}

async function cmdCheck(file: string, opts: { param?: Record<string, number>; backend?: string }): Promise<void> {
  await reportBackend(compileOrReport(file, opts.param), opts.backend);
  process.stdout.write('ok\n');
}

function cmdIr(file: string, opts: { stage: 'lowered' | 'optimized' | 'train' | 'fused'; explain?: boolean; param?: Record<string, number> }): void {
  const { stages, file: compiled } = compileOrReport(file, opts.param);
  if (opts.stage === 'fused') {
    const parts: string[] = [];
    for (const m of compiled.models)
      for (const g of [m.predict, ...(m.train ? [m.train.step, m.train.evaluate] : [])]) parts.push(printFusion(g, fuseGraph(g), !!opts.explain));
    process.stdout.write(parts.join('\n\n') + '\n');
    return;
  }
  const text = stages[opts.stage];
  if (text === undefined) {
    const why = opts.stage === 'train' ? ': the file has no train block' : '';
    throw new CliError(`no '${opts.stage}' IR for '${file}'${why}`);
  }
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

async function cmdStats(file: string, opts: { O0?: boolean; batch: number; param?: Record<string, number> }): Promise<void> {
  const { file: compiled } = compileOrReport(file, opts.param);
  const optimize = !opts.O0;
  // the planner brings the kernel generators: loaded on use, like the emitter
  const { fileStats } = await import('../codegen/stats.js');
  process.stdout.write(JSON.stringify({ batch: opts.batch, optimize, entries: fileStats(compiled, { optimize, batch: opts.batch }) }, null, 2) + '\n');
}

interface TrainOpts {
  continueOnNan?: boolean;
  epochs?: number;
  batch?: number;
  seed?: number;
  json?: boolean;
  param?: Record<string, number>;
  model?: string;
  backend: 'auto' | BackendName;
}

function pickTrainedModel(compiled: CompiledFile, file: string, name: string | undefined): CompiledModel {
  const trainable = compiled.models.filter((m) => m.train);
  if (name !== undefined) {
    const m = compiled.models.find((x) => x.name === name);
    if (!m) throw new CliError(`'${file}' has no model '${name}'; its models: ${compiled.models.map((x) => x.name).join(', ')}`);
    if (!m.train) throw new CliError(`model '${name}' has no train block in '${file}'`);
    return m;
  }
  if (trainable.length === 0) throw new CliError(`'${file}' has no train block: add one (train ${compiled.models[0]?.name ?? 'Model'} { ... }) to train from the CLI`);
  if (trainable.length > 1) throw new CliError(`'${file}' trains several models (${trainable.map((m) => m.name).join(', ')}): pick one with --model NAME`);
  return trainable[0];
}

/** The validation set: the train block's `validate`, else the 'test' split of a built-in data set read with split: train. */
function validationSpec(data: DataSpec, validate: DataSpec | undefined): DataSpec | undefined {
  if (validate) return validate;
  if (data.name !== 'csv' && data.args.split === 'train') return { name: data.name, args: { ...data.args, split: 'test' } };
  return undefined;
}

function cacheDir(root: string, key: string): string {
  const candidates = [join(root, 'node_modules', '.cache', 'dnnc'), join(tmpdir(), `dnnc-cache-${process.getuid?.() ?? 'user'}`)];
  for (const base of candidates) {
    try {
      if (base.includes('node_modules') && !existsSync(join(root, 'node_modules'))) continue;
      const dir = join(base, key);
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: try the next one
    }
  }
  throw new CliError('cannot create a cache folder for the generated module (tried node_modules/.cache and the temp folder)');
}

type CreateFn = (options?: { seed?: number; backend?: 'auto' | BackendName }) => Model | Promise<Model>;

/** Finds the factory of `model` (its identifier in the module, EmitResult.ids) in a generated module: create<Id>, <Id>.create, or create. */
function findCreate(mod: Record<string, unknown>, model: string, modelCount: number): CreateFn {
  const named = mod[`create${model}`];
  const ns = mod[model] as Record<string, unknown> | undefined;
  const candidates = [named, ns && typeof ns === 'object' ? ns.create : undefined, modelCount === 1 ? mod.create : undefined];
  for (const c of candidates) if (typeof c === 'function') return c as CreateFn;
  throw new Error(`the generated module exports no factory for model '${model}' (looked for create${model}, ${model}.create, create)`);
}

/** What `dnnc train` runs: a model's train block, or a train block over several models/steps (a trainer). */
interface TrainTarget {
  name: string;
  data?: DataSpec;
  validate?: DataSpec;
  seed?: number;
  epochs: number;
  batch: number;
  /** trainers have no evaluation graph: no validation set */
  validates: boolean;
}

function pickTarget(compiled: CompiledFile, file: string, name: string | undefined): TrainTarget {
  const trainers = compiled.trainers ?? [];
  const trainer = name !== undefined ? trainers.find((t) => t.name === name) : compiled.models.some((m) => m.train) ? undefined : trainers[0];
  if (trainer) return { name: trainer.name, data: trainer.data, validate: trainer.validate, seed: trainer.seed, epochs: trainer.epochs, batch: trainer.batch, validates: false };
  const model = pickTrainedModel(compiled, file, name);
  const t = model.train!;
  return { name: model.name, data: t.data, validate: t.validate, seed: t.seed, epochs: t.epochs, batch: t.batch, validates: true };
}

async function cmdTrain(file: string, opts: TrainOpts): Promise<void> {
  const { file: compiled } = compileOrReport(file, opts.param);
  const target = pickTarget(compiled, file, opts.model);
  const train = target;
  if (!train.data) throw new CliError(`train block '${target.name}' in '${file}' names no data (data = ...); add one, or drive training from TypeScript`);
  const model = { name: target.name };

  const baseDir = dirname(resolve(file));
  const data = loadDataset(train.data, baseDir);
  const vspec = target.validates ? validationSpec(train.data, train.validate) : undefined;
  const validation = vspec ? loadDataset(vspec, baseDir) : undefined;

  const root = packageRoot();
  const runtimePath = join(root, 'dist', 'runtime', 'index.js');
  if (!existsSync(runtimePath)) throw new CliError(`the dnnc runtime is not built (${runtimePath} is missing): run npm run build`);
  const emitModule = await loadEmitter();
  const { files, ids } = emitModule(compiled, { emit: 'js', sourceName: basename(file).replace(/\.dnn$/, ''), runtimeImport: pathToFileURL(runtimePath).href });
  const key = createHash('sha256')
    .update(JSON.stringify(files))
    .digest('hex')
    .slice(0, 16);
  const written = writeFiles(cacheDir(root, key), files);
  const entry = pickEntry(written, file);
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const create = findCreate(mod, ids[model.name] ?? model.name, compiled.models.length + (compiled.trainers?.length ?? 0));

  const seed = opts.seed ?? train.seed;
  const instance = await create({ ...(seed !== undefined ? { seed } : {}), backend: opts.backend });
  const epochs = opts.epochs ?? train.epochs;
  const batchSize = opts.batch ?? train.batch;
  const progressOut = opts.json ? process.stderr : process.stdout;
  const reporter = makeReporter(progressOut, data, validation);
  reporter.start(model.name, file, epochs, batchSize, instance.backend);
  let result: FitResult;
  try {
    result = await instance.fit(data, {
      epochs,
      batchSize,
      validation,
      continueOnNaN: !!opts.continueOnNan,
      onBatch: (p) => reporter.batch(p),
      onEpoch: (e) => reporter.epoch(e, epochs),
    });
  } finally {
    reporter.stop();
    instance.dispose();
  }
  reporter.done(result, validation !== undefined);
  if (opts.json) process.stdout.write(JSON.stringify({ metrics: result.metrics, epochs: result.epochs, seconds: round(result.seconds, 3) }) + '\n');
}

/** The module to import among the emitted files: the .js/.mjs named like the .dnn file, else the first one. */
function pickEntry(paths: string[], dnnFile: string): string {
  const js = paths.filter((p) => /\.(m?js)$/.test(p));
  const stem = basename(dnnFile).replace(/\.dnn$/, '');
  const named = js.find((p) => basename(p).replace(/\.m?js$/, '') === stem);
  const entry = named ?? js.find((p) => /index\.m?js$/.test(p)) ?? js[0];
  if (!entry) throw new Error(`the module emitter produced no JavaScript file (got ${paths.map((p) => basename(p)).join(', ') || 'nothing'})`);
  return entry;
}

// ------------------------------------------------------------ progress

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toFixed(4);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function metricsLine(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

interface Reporter {
  start(model: string, file: string, epochs: number, batch: number, backend: string): void;
  batch(p: BatchProgress): void;
  epoch(e: EpochResult, epochs: number): void;
  stop(): void;
  done(r: FitResult, validated: boolean): void;
}

function makeReporter(out: NodeJS.WriteStream, data: Dataset, validation: Dataset | undefined): Reporter {
  const tty = Boolean(out.isTTY) && !process.env.CI;
  const write = (s: string) => void out.write(s + '\n');
  let bar: cliProgress.SingleBar | undefined;
  let lastPlain = 0;
  let epochs = 0;
  let lossSum = 0; // running mean of the batch losses of the current epoch, for the bar

  return {
    start(model, file, nEpochs, batch, backend) {
      epochs = nEpochs;
      const val = validation ? `, validating on ${validation.name} (${validation.size} samples)` : '';
      write(`training ${model} from ${file} on ${backend}: ${data.name} (${data.size} samples)${val}, ${nEpochs} epoch(s), batch ${batch}`);
    },
    batch(p) {
      lossSum = p.batch === 1 ? p.loss : lossSum + p.loss;
      if (tty) {
        const payload = { epoch: p.epoch, epochs: p.epochs, loss: fmt(lossSum / p.batch), sps: Math.round(p.samplesPerSecond).toLocaleString('en-US') };
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: 'epoch {epoch}/{epochs} {bar} {value}/{total} | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
              stream: out,
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 50,
              barsize: 24,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.batches, 0, payload);
        }
        bar.update(p.batch, payload);
      } else {
        const t = Date.now();
        if (t - lastPlain >= 5000 && p.batch < p.batches) {
          if (lastPlain !== 0) write(`epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}: loss ${fmt(p.loss)}, ${Math.round(p.samplesPerSecond)} samples/s`);
          lastPlain = t;
        }
      }
    },
    epoch(e) {
      if (bar) {
        bar.stop();
        bar = undefined;
      }
      write(`epoch ${e.epoch}/${epochs}: ${metricsLine({ loss: e.loss, ...e.metrics })} (${e.seconds.toFixed(1)} s)`);
    },
    stop() {
      if (bar) {
        bar.stop();
        bar = undefined;
      }
    },
    done(r, validated) {
      write(`done in ${r.seconds.toFixed(1)} s; final ${validated ? 'validation' : 'training'} metrics: ${metricsLine(r.metrics)}`);
    },
  };
}

// ------------------------------------------------------------ main

function buildProgram(): Command {
  const program = new Command();
  program
    .name('dnnc')
    .description('A compiler for neural networks: .dnn files to typed TypeScript modules that train and predict.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const paramOption = () => new Option('--param <NAME=VALUE>', 'override a `param` of the file (repeatable)').argParser(collectParam);

  program
    .command('compile')
    .description('compile a .dnn file to a TypeScript (or JavaScript) module')
    .argument('<file>', 'the .dnn file')
    .option('-o, --out <dir>', 'output folder (default: the .dnn file\'s folder)')
    .addOption(new Option('--emit <kind>', 'what to write').choices(['ts', 'js']).default('ts'))
    .option('--runtime <specifier>', 'import specifier of the dnnc runtime in the generated code (default: dnnc)')
    .option('--O0', 'no fusion and no buffer reuse, for comparison and debugging (also spelt -O0)')
    .addOption(new Option('--backend <name>', 'fail when the module could not run on this backend (ops without a kernel)').choices(['cpu', 'webgpu', 'gpujs', 'auto']))
    .addOption(paramOption())
    .action((file: string, opts: CompileOpts) => cmdCompile(file, opts));

  program
    .command('check')
    .description('report the diagnostics of a .dnn file; prints "ok" when there are none')
    .argument('<file>', 'the .dnn file')
    .addOption(new Option('--backend <name>', 'also report ops this backend has no kernel for').choices(['cpu', 'webgpu', 'gpujs', 'auto']))
    .addOption(paramOption())
    .action((file: string, opts: { param?: Record<string, number>; backend?: string }) => cmdCheck(file, opts));

  program
    .command('ir')
    .description('print the graph IR of a .dnn file at a compilation stage')
    .argument('<file>', 'the .dnn file')
    .addOption(new Option('--stage <stage>', 'which IR').choices(['lowered', 'optimized', 'train', 'fused']).default('optimized'))
    .option('--explain', 'with --stage fused: say why each boundary between kernels exists')
    .addOption(paramOption())
    .action((file: string, opts: { stage: 'lowered' | 'optimized' | 'train' | 'fused'; explain?: boolean; param?: Record<string, number> }) => cmdIr(file, opts));

  program
    .command('stats')
    .description('print JSON: kernel dispatches per call and planned peak memory of each entry point')
    .argument('<file>', 'the .dnn file')
    .option('--O0', 'without fusion and memory planning, for comparison (also spelt -O0)')
    .option('--batch <n>', 'the batch size (every symbolic dim) for the memory figures', batchSize, 64)
    .addOption(paramOption())
    .action((file: string, opts: { O0?: boolean; batch: number; param?: Record<string, number> }) => cmdStats(file, opts));

  program
    .command('train')
    .description("compile a .dnn file and run its train block on its data set, printing progress and metrics")
    .argument('<file>', 'the .dnn file')
    .option('--epochs <n>', 'epochs (default: the train block\'s)', positiveInt)
    .option('--batch <n>', 'batch size (default: the train block\'s)', batchSize)
    .option('--seed <n>', 'seed for weights and shuffling', nonNegativeInt)
    .option('--model <name>', 'the model to train when the file trains several')
    .addOption(new Option('--backend <name>', 'where to run').choices(['cpu', 'webgpu', 'gpujs', 'auto']).default('cpu'))
    .option('--json', 'end stdout with one JSON line {"metrics", "epochs", "seconds"}; progress goes to stderr')
    .option('--continue-on-nan', 'keep training when the loss becomes NaN or Inf (by default training stops, naming the step)')
    .addOption(paramOption())
    .action((file: string, opts: TrainOpts) => cmdTrain(file, opts));

  program.addHelpText(
    'after',
    `
Examples:
  dnnc train examples/mlp/mlp.dnn
  dnnc compile examples/mlp/mlp.dnn -o generated --emit ts
  dnnc check model.dnn
  dnnc ir model.dnn --stage train

Exit codes: 0 ok, 1 errors in the .dnn file or its data, 2 usage errors, 70 internal errors (DNNC_DEBUG=1 shows the stack).`,
  );
  return program;
}

function oneLine(message: string): string {
  return message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    // `-O0` is spelt like a compiler flag; the parser only knows long options with two dashes
    await program.parseAsync(argv.map((a) => (a === '-O0' ? '--O0' : a)), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') return EXIT_USAGE;
      process.stderr.write(`dnnc: error: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof DiagnosticsReported) return EXIT_USER;
    if (e instanceof CliError) {
      process.stderr.write(`dnnc: error: ${oneLine(e.message)}\n`);
      return e.code;
    }
    if (isUserFacingError(e)) {
      process.stderr.write(`dnnc: error: ${oneLine(e.message)}\n`);
      return EXIT_USER;
    }
    const fileTrouble = fileErrorMessage(e);
    if (fileTrouble !== undefined) {
      process.stderr.write(`dnnc: error: ${oneLine(fileTrouble)}\n`);
      return EXIT_USER;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`dnnc: internal error: ${oneLine(err.message)}\n`);
    if (process.env.DNNC_DEBUG === '1') process.stderr.write(`${err.stack ?? ''}\n`);
    else process.stderr.write('(this is a bug in dnnc; run with DNNC_DEBUG=1 to see the stack trace)\n');
    return EXIT_INTERNAL;
  }
}

// exit explicitly: a backend left holding a handle must not keep the process alive
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`dnnc: internal error: ${String(e)}\n`);
    process.exit(EXIT_INTERNAL);
  },
);
