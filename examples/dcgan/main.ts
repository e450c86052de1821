/**
 * Trains the DCGAN of dcgan.dnn on the 7,000 MNIST training digits, writes 64
 * generated digits to examples/dcgan/samples.png, and scores 500 generated
 * digits (from GeneratorEMA, the moving average of the generator that the
 * `sync` of dcgan.dnn keeps) with a judge: the LeNet-5 of examples/mnist
 * (judge.dnn, trained here first; its test accuracy is reported):
 *   frechet          the Fréchet distance between the judge's penultimate
 *                    features of the generated digits and of the 2,000 test
 *                    digits (FID's formula with this MNIST classifier in place
 *                    of Inception: not comparable with published FIDs)
 *   baselines        real.frechet: 500 real validation digits against the same
 *                    test digits (the floor: what a perfect generator scores at
 *                    this sample size); untrained.frechet: the generator before
 *                    training (the ceiling). frechet_progress = (ceiling -
 *                    frechet) / (ceiling - floor): 1 is as good as real digits
 *   classifier_score exp(E[KL(p(y|x) || p(y))]) of the judge on the samples (10:
 *                    every sample a sure digit, the digits evenly spread)
 *   classes_present  how many of the 10 digits the judge finds among them
 *   digit_confidence the share it labels with probability >= 0.9 (an extra)
 *
 *   npx tsx examples/dcgan/main.ts [--json] [--seed N] [--quick]
 *
 * --quick trains the judge for one epoch and the GAN for one epoch of 200
 * steps (the CI test); it writes no PNG.
 */
import { fileURLToPath } from 'node:url';
import { classCounts, classifierScore, frechetDistance, softmaxRows } from '../../runtime/baselines/index.js';
import { mnist, Rng } from '../../runtime/data/index.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { epochBatches, gather, head } from '../shared/data.js';
import { compileDnn, modelOf, trainerOf } from '../shared/load.js';
import { writeGrid } from '../shared/png.js';

const args = parseArgs();
const log = logger(args.json);
const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const SAMPLES = 500;
const FEATURES = 84;

// 1. the judge: the mnist example's LeNet-5 with its penultimate layer as an output, trained on pixels in [0, 1]
const judgeFile = compileDnn(new URL('./judge.dnn', import.meta.url));
const judgeSpec = judgeFile.models.find((m) => m.name === 'Judge')!.train!;
const judge = await modelOf(judgeFile, 'Judge', { seed: args.seed });
const judgeEpochs = args.quick ? 1 : judgeSpec.epochs;
await judge.fit(mnist({ split: 'train' }), { epochs: judgeEpochs, batchSize: judgeSpec.batch, validation: mnist({ split: 'validation' }) });
const judgeTest = await judge.evaluate(mnist({ split: 'test' }), { batchSize: judgeSpec.batch });
log(`judge: LeNet-5, ${judgeEpochs} epoch(s), test accuracy ${judgeTest.accuracy.toFixed(4)} (${since()})`);

/** The judge's features and logits of images with pixels in [-1, 1]. */
async function judged(images: Float32Array, n: number): Promise<{ features: Float32Array; logits: Float32Array }> {
  const out = await judge.predict({ image: { data: images.map((v) => (v + 1) / 2), shape: [n, 1, 28, 28] } });
  return { features: out.features.data as Float32Array, logits: out.logits.data as Float32Array };
}
const testDigits = mnist({ split: 'test', scale: [-1, 1] });
const testFeatures = (await judged(testDigits.fields.image.data as Float32Array, testDigits.size)).features;
const frechetToTest = (features: Float32Array, n: number) => frechetDistance(features, n, testFeatures, testDigits.size, FEATURES);
// the floor: as many real (validation) digits as samples are scored
const realDigits = head(mnist({ split: 'validation', scale: [-1, 1] }), SAMPLES);
const floor = frechetToTest((await judged(realDigits.fields.image.data as Float32Array, SAMPLES)).features, SAMPLES);

// 2. the GAN
const file = compileDnn(new URL('./dcgan.dnn', import.meta.url));
const spec = file.trainers!.find((t) => t.name === 'GAN')!;
const gan = await trainerOf(file, 'GAN', { seed: args.seed });
const full = mnist({ split: 'train', scale: [-1, 1] });
const data = args.quick ? head(full, 200 * spec.batch) : full; // --quick: one epoch of 200 steps
const epochs = args.quick ? 1 : spec.epochs;
const Z = 64;
const PX = 28 * 28;

/** n digits from the generator, for a fixed stream of latent vectors */
async function generate(n: number, seed: number, from: 'Generator' | 'GeneratorEMA' = 'GeneratorEMA'): Promise<Float32Array> {
  const rng = new Rng(seed);
  const z = Float32Array.from({ length: n * Z }, () => rng.normal());
  return (await gan.models[from].predict({ z: { data: z, shape: [n, Z] } })).img.data as Float32Array;
}

/** The judge's scores of n generated digits (the same latent vectors every time). */
async function score(n = SAMPLES, from: 'Generator' | 'GeneratorEMA' = 'GeneratorEMA') {
  const { features, logits } = await judged(await generate(n, args.seed + 500, from), n);
  const probs = softmaxRows(logits, n, 10);
  let sure = 0;
  for (let i = 0; i < n; i++) if (Math.max(...probs.subarray(i * 10, i * 10 + 10)) >= 0.9) sure++;
  const counts = classCounts(logits, n, 10);
  return { frechet: frechetToTest(features, n), classifier_score: classifierScore(probs, n, 10), classes_present: counts.filter((c) => c > 0).length, digit_confidence: sure / n, counts };
}

/** how far the generated pixels' mean is from the real digits' (mostly black, about -0.74): a first thing a generator learns */
async function pixelGapNow(): Promise<number> {
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  return Math.abs(mean(await generate(500, args.seed + 500, 'Generator')) - mean(data.fields.image.data as Float32Array));
}
const pixelGapStart = await pixelGapNow();
const ceiling = (await score()).frechet; // the untrained generator
log(`Fréchet distance to the test digits: real digits ${floor.toFixed(2)} (floor), untrained generator ${ceiling.toFixed(2)} (ceiling) (${since()})`);

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
  const now = await score();
  log(`epoch ${epoch}/${epochs}: discriminator loss ${(d / batches.length).toFixed(3)}, generator loss ${(g / batches.length).toFixed(3)}, frechet ${now.frechet.toFixed(2)}, classifier score ${now.classifier_score.toFixed(2)}, digits [${now.counts.join(' ')}] (${since()})`);
}
const ganSeconds = (Date.now() - ganStarted) / 1000;

const final = await score();
const raw = await score(SAMPLES, 'Generator');
const pixelGap = await pixelGapNow();
if (!args.quick) {
  const png = fileURLToPath(new URL('./samples.png', import.meta.url));
  writeGrid(png, await generate(64, args.seed + 64), { count: 64, height: 28, width: 28, cols: 8, range: [-1, 1], zoom: 2 });
  log(`wrote ${png}`);
}
gan.dispose();
judge.dispose();
const { counts, ...metrics } = final;
log(`digits among ${SAMPLES} samples: [${counts.join(' ')}]`);
report(args.json, {
  metrics: { ...metrics, frechet_progress: (ceiling - final.frechet) / (ceiling - floor), frechet_generator: raw.frechet, judge_accuracy: judgeTest.accuracy, pixel_gap: pixelGap, pixel_gap_start: pixelGapStart },
  baselines: { real: { frechet: floor }, untrained: { frechet: ceiling } },
  class_counts: counts,
  epochs,
  gan_seconds: ganSeconds,
  seconds: (Date.now() - started) / 1000,
});
