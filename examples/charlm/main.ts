/**
 * Train the character-level language model of charlm.dnn, then sample text
 * from it with the generated `generate` helper's runtime function.
 *
 *   npx tsx examples/charlm/main.ts [--json] [--epochs N] [--temperature T]
 *
 * Ends with one JSON line with --json: { "metrics": { "cross_entropy", ... } (test
 * split), "validation": { ... }, "sample": "..." }.
 */
import '../dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets), as dnnc registers them for the CLI
import { fileURLToPath } from 'node:url';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileFile, formatDiagnostics } from '../../compiler/index.js';
import { GRAMMAR_ALPHABET } from '../../runtime/data/sequences.js';
import { loadDataset } from '../../runtime/data/index.js';
import { generate, instantiate } from '../../runtime/index.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const json = args.includes('--json');
const log = (s: string) => (json ? process.stderr : process.stdout).write(s + '\n');

const file = fileURLToPath(new URL('./charlm.dnn', import.meta.url));
const compiled = compileFile(file);
if (!compiled.file) {
  process.stderr.write(formatDiagnostics(compiled.diagnostics, compiled.sources) + '\n');
  process.exit(1);
}
const spec = compiled.file.models[0];
const model = await instantiate(programFromModel(spec), { seed: 1 });
const train = loadDataset(spec.train!.data!, '.');
const validation = loadDataset(spec.train!.validate!, '.');
const test = loadDataset(spec.train!.test!, '.');
const start = Date.now();
const fit = await model.fit(train, {
  epochs: flag('--epochs', spec.train!.epochs),
  validation,
  onEpoch: (e) => {
    log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, validation cross-entropy ${e.metrics.val_cross_entropy?.toFixed(4)} nats/char`);
  },
});
const tested = await model.evaluate(test, { batchSize: spec.train!.batch });
log(`test cross-entropy ${tested.cross_entropy.toFixed(4)} nats/char, token accuracy ${tested.token_accuracy.toFixed(4)}`);

const encode = (text: string) => Array.from(text, (c) => GRAMMAR_ALPHABET.indexOf(c));
const decode = (ids: number[]) => ids.map((i) => GRAMMAR_ALPHABET[i] ?? '?').join('');
// the LSTM reads a fixed window of 32 characters: give it a full window to start from
const prompt = 'anna sees the old dog near bob . the small ';
const ids = await generate(model, { prompt: encode(prompt), steps: 160, temperature: flag('--temperature', 0.8), topK: 10, seed: 7 });
const sample = decode(ids);
log(`\nsample (temperature ${flag('--temperature', 0.8)}, top-10):\n${sample}\n`);
model.dispose();
if (json) process.stdout.write(JSON.stringify({ metrics: tested, validation: fit.metrics, epochs: fit.epochs, seconds: (Date.now() - start) / 1000, sample }) + '\n');
