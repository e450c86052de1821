/**
 * Trains the DCGAN of dcgan.dnn on the 8,000 MNIST training digits, writes
 * 64 generated digits to examples/dcgan/samples.png, and scores 500
 * generated digits with a classifier: digit_confidence is the share that
 * the LeNet-5 of examples/mnist/mnist.dnn, trained here for 5 epochs first
 * (0.9785 held-out accuracy), labels with probability >= 0.9. The digits are
 * drawn from GeneratorEMA (the moving average of the generator that the
 * `sync` of dcgan.dnn keeps); digit_confidence_generator scores the trained
 * Generator itself on the same latent vectors.
 *
 *   npx tsx examples/dcgan/main.ts [--json] [--seed N] [--quick]
 *
 * --quick trains the GAN for one epoch of 30 steps (30 batches of digits)
 * and the classifier for one (the CI test); it writes no PNG.
 */
import { fileURLToPath } from 'node:url';
import { mnist, Rng } from '../../runtime/data/index.js';
import type { Model } from '../../runtime/types.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { epochBatches, gather, head } from '../shared/data.js';
import { compileDnn, modelOf, trainerOf } from '../shared/load.js';
import { writeGrid } from '../shared/png.js';

const args = parseArgs();
const log = logger(args.json);
const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

// 1. the judge: LeNet-5 from the mnist example, trained briefly on pixels in [0, 1]
const lenetFile = compileDnn(new URL('../mnist/mnist.dnn', import.meta.url));
const lenetSpec = lenetFile.models.find((m) => m.name === 'LeNet')!.train!;
const lenet = await modelOf(lenetFile, 'LeNet', { seed: args.seed });
const judgeEpochs = args.quick ? 1 : 5;
const judged = await lenet.fit(mnist({ split: 'train' }), { epochs: judgeEpochs, batchSize: lenetSpec.batch, validation: mnist({ split: 'test' }) });
log(`classifier: LeNet-5, ${judgeEpochs} epoch(s), held-out accuracy ${judged.metrics.accuracy.toFixed(4)} (${since()})`);

// 2. the GAN
const file = compileDnn(new URL('./dcgan.dnn', import.meta.url));
const spec = file.trainers!.find((t) => t.name === 'GAN')!;
const gan = await trainerOf(file, 'GAN', { seed: args.seed });
const full = mnist({ split: 'train', scale: [-1, 1] });
const data = args.quick ? head(full, 30 * spec.batch) : full; // --quick: one epoch of 30 steps
const epochs = args.quick ? 1 : spec.epochs;
const Z = 64;
const PX = 28 * 28;

/** n digits from the generator, for a fixed stream of latent vectors */
async function generate(n: number, seed: number, from: 'Generator' | 'GeneratorEMA' = 'GeneratorEMA'): Promise<Float32Array> {
  const rng = new Rng(seed);
  const z = Float32Array.from({ length: n * Z }, () => rng.normal());
  return (await gan.models[from].predict({ z: { data: z, shape: [n, Z] } })).img.data as Float32Array;
}

/** the share of n generated digits the classifier labels with probability >= 0.9 */
async function confidence(judge: Model, n: number, from: 'Generator' | 'GeneratorEMA' = 'GeneratorEMA'): Promise<number> {
  const img = await generate(n, args.seed + 500, from);
  const { logits } = await judge.predict({ image: { data: img.map((v) => (v + 1) / 2), shape: [n, 1, 28, 28] } });
  let sure = 0;
  for (let i = 0; i < n; i++) {
    const l = (logits.data as Float32Array).subarray(i * 10, i * 10 + 10);
    const max = Math.max(...l);
    const sum = l.reduce((a, v) => a + Math.exp(v - max), 0);
    if (1 / sum >= 0.9) sure++;
  }
  return sure / n;
}

/** how far the generated pixels' mean is from the real digits' (mostly black, about -0.74): a first thing a generator learns */
async function pixelGapNow(): Promise<number> {
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  return Math.abs(mean(await generate(500, args.seed + 500, 'Generator')) - mean(data.fields.image.data as Float32Array));
}
const pixelGapStart = await pixelGapNow();

log(`training GAN on ${data.name} (${data.size} digits), ${epochs} epoch(s), batch ${spec.batch}; steps ${Object.keys(gan.steps).join(', ')}`);
// the loop `gan.fit(data)` would run, written out so that it can score after each epoch
const shuffle = new Rng(args.seed);
const ganStarted = Date.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  let d = 0;
  let g = 0;
  const batches = epochBatches(data.size, spec.batch, shuffle);
  for (const idx of batches) {
    const batch = { image: { data: gather(data.fields.image.data as Float32Array, PX, idx), shape: [idx.length, 1, 28, 28] } };
    d += (await gan.steps.discriminator(batch)).loss;
    g += (await gan.steps.generator(batch)).loss;
  }
  log(`epoch ${epoch}/${epochs}: discriminator loss ${(d / batches.length).toFixed(3)}, generator loss ${(g / batches.length).toFixed(3)}, digit_confidence ${(await confidence(lenet, 500)).toFixed(3)} (EMA; the trained Generator itself: ${(await confidence(lenet, 500, 'Generator')).toFixed(3)}) (${since()})`);
}
const ganSeconds = (Date.now() - ganStarted) / 1000;

const digitConfidence = await confidence(lenet, 500);
const digitConfidenceRaw = await confidence(lenet, 500, 'Generator');
const pixelGap = await pixelGapNow();
if (!args.quick) {
  const png = fileURLToPath(new URL('./samples.png', import.meta.url));
  writeGrid(png, await generate(64, args.seed + 64), { count: 64, height: 28, width: 28, cols: 8, range: [-1, 1], zoom: 2 });
  log(`wrote ${png}`);
}
gan.dispose();
lenet.dispose();
report(args.json, {
  metrics: { digit_confidence: digitConfidence, digit_confidence_generator: digitConfidenceRaw, classifier_accuracy: judged.metrics.accuracy, pixel_gap: pixelGap, pixel_gap_start: pixelGapStart },
  epochs,
  gan_seconds: ganSeconds,
  seconds: (Date.now() - started) / 1000,
});
