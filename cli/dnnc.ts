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
 *              [--save CKPT] [--save-weights W] [--checkpoint-every N] [--resume CKPT | --init W]
 *   dnnc evaluate FILE.dnn --weights W [--json]
 *   dnnc predict FILE.dnn --weights W --input DATA.json|csv [--json]
 *   dnnc export FILE.dnn --to onnx|pytorch -o OUT [--weights W] [--model NAME]
 *   dnnc summary FILE.dnn [--model NAME] [--json]
 *   dnnc lsp --stdio   (the language server for editors: lsp/server.ts)
 *
 * Each command's work is in its own file (train.ts, evaluate.ts, predict.ts, export.ts;
 * what they share in common.ts, module.ts, progress.ts); this file holds the
 * small ones and the command table.
 *
 * Exit codes: 0 success, 1 the .dnn file (or its data, weights) has errors, 2 usage
 * errors (unknown command or flag, missing file), 70 internal errors, 130/143 a
 * training run stopped by SIGINT/SIGTERM after writing its checkpoint. User
 * errors are one line (`dnnc: error: ...`) or located diagnostics, never a
 * stack trace; an internal error shows its stack only with DNNC_DEBUG=1.
 */
import { statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { fuseGraph, printFusion } from '../compiler/passes/fuse.js';
import {
  batchSize,
  CliError,
  collectParam,
  compileOrReport,
  DiagnosticsReported,
  EXIT_INTERNAL,
  EXIT_USAGE,
  loadEmitter,
  nonNegativeInt,
  packageVersion,
  positiveInt,
  printDiagnostics,
  writeFiles,
} from './common.js';
import { loadDataModule } from '../runtime/data/module.js';
import { cmdEvaluate, type EvaluateOpts } from './evaluate.js';
import { classify, failureJson, failureText } from './failure.js';
import { cmdExport, type ExportOpts } from './export.js';
import { checkOutputDir } from './fs-errors.js';
import { cmdPredict, type PredictOpts } from './predict.js';
import { pickAnyModel } from './module.js';
import { formatSummary, summarize } from './summary.js';
import { cmdTrain, type TrainOpts } from './train.js';

// ------------------------------------------------------------ commands

interface CompileOpts {
  O0?: boolean;
  backend?: string;
  out?: string;
  emit: 'ts' | 'js';
  param?: Record<string, number>;
  runtime?: string;
}

/** `file` as the generated module's header names it: relative to the working folder when inside it, else its base name; '/' separators. */
function headerPath(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  return (inside ? rel : basename(file)).split(sep).join('/');
}

async function cmdCompile(file: string, opts: CompileOpts): Promise<void> {
  checkOutputDir(opts.out ?? dirname(file)); // before any work
  const result = compileOrReport(file, opts.param);
  await reportBackend(result, opts.backend);
  const compiled = result.file;
  const emitModule = await loadEmitter();
  const outDir = opts.out ?? dirname(file);
  // the header names the source as a path relative to here: the module is the same however the path was given, and no folder of this machine is written into it
  const { files } = emitModule({ ...compiled, file: headerPath(file) }, { emit: opts.emit, sourceName: basename(file).replace(/\.dnn$/, ''), optimize: !opts.O0, ...(opts.runtime ? { runtimeImport: opts.runtime } : {}) });
  for (const path of writeFiles(outDir, files)) process.stdout.write(`wrote ${path}\n`);
}

/** With --backend webgpu|gpujs: ops that backend has no kernel for are errors, located where they come from. */
async function reportBackend(result: ReturnType<typeof compileOrReport>, backend: string | undefined): Promise<void> {
  if (!backend || backend === 'cpu' || backend === 'auto') return;
  const { backendDiagnostics } = await import('../codegen/backend-support.js');
  const diags = backendDiagnostics(result.file, backend as 'webgpu' | 'gpujs');
  if (diags.length === 0) return;
  printDiagnostics(diags, result.sources, true);
  throw new DiagnosticsReported(diags);
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

function cmdSummary(file: string, opts: { model?: string; json?: boolean; param?: Record<string, number> }): void {
  const { file: compiled } = compileOrReport(file, opts.param);
  const models = opts.model === undefined ? compiled.models : [pickAnyModel(compiled, file, opts.model)];
  const summaries = models.map(summarize);
  process.stdout.write(opts.json ? JSON.stringify(summaries) + '\n' : summaries.map(formatSummary).join('\n'));
}

// ------------------------------------------------------------ main

/** `--seeds 1,2,3`: distinct non-negative integers. */
function seedList(value: string): number[] {
  const seeds = value.split(',').map((x) => x.trim());
  if (seeds.length === 0 || seeds.some((x) => !/^\d+$/.test(x) || !Number.isSafeInteger(Number(x)))) throw new InvalidArgumentError('expected non-negative integers separated by commas, e.g. 1,2,3.');
  const out = seeds.map(Number);
  if (new Set(out).size !== out.length) throw new InvalidArgumentError('a seed is listed twice.');
  return out;
}

/** What a command that ends in its own way (an interrupted training run) exits with. */
let exitStatus = 0;

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

  // the data sets a project registers (runtime/data/module.ts) must be there before its .dnn file compiles
  program.hook('preAction', async (_program, action) => {
    const file = action.args[0];
    if (action.name() !== 'lsp' && typeof file === 'string' && statSync(file, { throwIfNoEntry: false })?.isFile()) await loadDataModule(file);
  });

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
    .option('--json', 'end stdout with one JSON line {"metrics", "history", "epochs", "seconds"}, or {"error"} on failure; progress goes to stderr')
    .option('--continue-on-nan', 'keep training when the loss becomes NaN or Inf (by default training stops, naming the step)')
    .option('--save <file>', 'write a training checkpoint (weights, optimizer state, position) here at the end, atomically; Ctrl-C writes one and stops')
    .option('--save-weights <file>', 'write the trained weights alone (safetensors, for apps) here at the end')
    .option('--checkpoint-every <n>', 'also write the --save checkpoint after every N epochs', positiveInt)
    .option('--resume <checkpoint>', 'continue the run a checkpoint was written by (weights, optimizer state, step, seed, position)')
    .option('--init <weights>', 'start from these weights (safetensors) with a fresh optimizer: fine-tuning')
    .option('--seeds <list>', 'train once per seed (e.g. 1,2,3) and report the mean and standard deviation', seedList)
    .option('--plot <file.svg>', 'draw the loss and metric curves (training and validation, per epoch) into an SVG file')
    .option('--no-baselines', 'skip the baselines printed beside the test metrics (the data set\'s own, and a linear model trained the same way)')
    .addOption(paramOption())
    .action(async (file: string, opts: TrainOpts) => {
      exitStatus = await cmdTrain(file, opts);
    });

  program
    .command('evaluate')
    .description('print the validation metrics of trained weights on the data set the train block validates on')
    .argument('<file>', 'the .dnn file')
    .requiredOption('--weights <file>', 'the weights or checkpoint (safetensors)')
    .option('--model <name>', 'the model, when the file trains several')
    .option('--batch <n>', "batch size (default: the train block's)", batchSize)
    .addOption(new Option('--backend <name>', 'where to run').choices(['cpu', 'webgpu', 'gpujs', 'auto']).default('cpu'))
    .option('--json', 'print one JSON line {"model", "weights", "data", "samples", "metrics"}')
    .addOption(paramOption())
    .action((file: string, opts: EvaluateOpts) => cmdEvaluate(file, opts));

  program
    .command('predict')
    .description('run a model with trained weights on the inputs in a JSON or CSV file')
    .argument('<file>', 'the .dnn file')
    .requiredOption('--weights <file>', 'the weights or checkpoint (safetensors)')
    .requiredOption('--input <file>', 'the inputs: JSON (by input name, or an array of samples) or CSV (one sample per row)')
    .option('--model <name>', 'the model, when the file has several')
    .addOption(new Option('--backend <name>', 'where to run').choices(['cpu', 'webgpu', 'gpujs', 'auto']).default('cpu'))
    .option('--json', 'print one JSON line {"model", "outputs": {name: {dtype, shape, data}}}')
    .option('--seed <n>', 'the seed of in-graph noise (noise(), uniform_noise()): the draw comes from it alone (at most 16777216)', nonNegativeInt)
    .option('--check-finite', 'stop at the first NaN or Infinity among the inputs or the outputs, naming it')
    .addOption(paramOption())
    .action((file: string, opts: PredictOpts) => cmdPredict(file, opts));

  program
    .command('export')
    .description('export a model to ONNX (predict graph and weights) or to a PyTorch package that trains with DistributedDataParallel')
    .argument('<file>', 'the .dnn file')
    .addOption(new Option('--to <format>', 'what to write').choices(['onnx', 'pytorch']).makeOptionMandatory())
    .requiredOption('-o, --out <path>', 'the .onnx file, or the folder of the Python package')
    .option('--weights <file>', 'the weights or checkpoint to export (safetensors; default: the initial weights)')
    .option('--model <name>', 'the model, when the file has several (ONNX)')
    .option('--opset <n>', 'the ONNX operator set (17, the one dnnc writes)', positiveInt)
    .option('--seed <n>', 'seed of the initial weights when --weights is not given', nonNegativeInt)
    .option('--no-data', 'PyTorch: leave the train block\'s data sets out of the package (train.py then needs --train-data)')
    .addOption(paramOption())
    .action((file: string, opts: ExportOpts) => cmdExport(file, opts));

  program
    .command('summary')
    .description('print a table per model: each layer with its output shape and parameter count, and the totals')
    .argument('<file>', 'the .dnn file')
    .option('--model <name>', 'only this model (default: every model of the file)')
    .option('--json', 'print one JSON line [{"model", "rows", "trainable", "nonTrainable", "total"}]')
    .addOption(paramOption())
    .action((file: string, opts: { model?: string; json?: boolean; param?: Record<string, number> }) => cmdSummary(file, opts));

  program
    .command('lsp')
    .description('run the .dnn language server (diagnostics, completion, hover) over stdio, for editors')
    .option('--stdio', 'talk LSP over stdin and stdout (the default and only transport)')
    .action(async () => {
      const { runLanguageServer } = await import('./lsp/server.js');
      await runLanguageServer();
    });

  program.addHelpText(
    'after',
    `
Examples:
  dnnc train examples/mlp/mlp.dnn
  dnnc train examples/mnist/mnist.dnn --save mnist.safetensors
  dnnc evaluate examples/mnist/mnist.dnn --weights mnist.safetensors
  dnnc export examples/mnist/mnist.dnn --weights mnist.safetensors --to onnx -o lenet.onnx
  dnnc compile examples/mlp/mlp.dnn -o generated --emit ts
  dnnc check model.dnn
  dnnc ir model.dnn --stage train

Exit codes: 0 ok, 1 errors in the .dnn file or its data, 2 usage errors, 70 internal errors (DNNC_DEBUG=1 shows the stack).`,
  );
  return program;
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
    return exitStatus;
  } catch (e) {
    const failure = classify(e);
    if (!failure) return 0;
    process.stderr.write(failureText(failure, process.env.DNNC_DEBUG === '1'));
    // --json promises a JSON line at the end of stdout, failures included
    if (argv.includes('--json')) process.stdout.write(failureJson(failure));
    return failure.exit;
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
