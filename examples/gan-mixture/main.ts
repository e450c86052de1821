/**
 * Trains the GAN of gan-mixture.dnn on ring(split: train) (8,000 points from
 * 8 Gaussians on a circle), then draws 1,000 points from the generator and
 * counts the modes it covers: a mode counts when at least 5% of the points
 * (50) lie within 3 std (0.15) of its centre.
 *
 *   npx tsx examples/gan-mixture/main.ts [--json] [--seed N] [--quick]
 *
 * Each batch takes two critic steps, then one generator step.
 * --quick trains for 15 epochs instead of the train block's 64 (the CI test).
 */
import { ring, ringCentres, Rng } from '../../runtime/data/index.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { epochBatches, gather } from '../shared/data.js';
import { compileDnn, trainerOf } from '../shared/load.js';

const args = parseArgs();
const log = logger(args.json);

const file = compileDnn(new URL('./gan-mixture.dnn', import.meta.url));
const spec = file.trainers!.find((t) => t.name === 'GAN')!;
const gan = await trainerOf(file, 'GAN', { seed: args.seed });

const MODES = 8;
const RADIUS = 2;
const STD = 0.05;
const CRITIC_STEPS = 2;
const data = ring({ split: 'train', modes: MODES, radius: RADIUS, std: STD, seed: args.seed });
const epochs = args.quick ? 15 : spec.epochs;

/** 1,000 generated points scored against the mode centres */
async function score(n = 1000): Promise<{ modes: number; quality: number; counts: number[] }> {
  const rng = new Rng(args.seed + 1000);
  const z = Float32Array.from({ length: n * 16 }, () => rng.normal());
  const { point } = await gan.models.Generator.predict({ z: { data: z, shape: [n, 16] } });
  const centres = ringCentres(MODES, RADIUS);
  const counts = new Array<number>(MODES).fill(0);
  for (let i = 0; i < n; i++) {
    const x = point.data[2 * i];
    const y = point.data[2 * i + 1];
    centres.forEach(([cx, cy], k) => {
      if (Math.hypot(x - cx, y - cy) <= 3 * STD) counts[k]++;
    });
  }
  return { modes: counts.filter((c) => c >= 0.05 * n).length, quality: counts.reduce((a, b) => a + b, 0) / n, counts };
}

log(`training GAN on ${data.name} (${data.size} points), ${epochs} epochs, batch ${spec.batch}`);
// the loop `gan.fit(data)` would run (each step once per batch), written out
// so that it can score as it goes and train the critic twice per generator
// step: a stronger critic keeps the generator from collapsing onto a few modes
const shuffle = new Rng(args.seed);
const started = Date.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  let critic = 0;
  let generator = 0;
  const batches = epochBatches(data.size, spec.batch, shuffle);
  for (const idx of batches) {
    const batch = { point: { data: gather(data.fields.point.data as Float32Array, 2, idx), shape: [idx.length, 2] } };
    for (let k = 0; k < CRITIC_STEPS; k++) critic += (await gan.steps.critic(batch)).loss / CRITIC_STEPS;
    generator += (await gan.steps.generator(batch)).loss;
  }
  if (epoch % 5 === 0 || epoch === epochs) {
    const s = await score();
    log(`epoch ${epoch}/${epochs}: critic loss ${(critic / batches.length).toFixed(3)}, generator loss ${(generator / batches.length).toFixed(3)}; modes ${s.modes}, ${(100 * s.quality).toFixed(0)}% of points within 3 std [${s.counts.join(' ')}] (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}
const seconds = (Date.now() - started) / 1000;
const s = await score();
gan.dispose();
report(args.json, { metrics: { modes: s.modes, high_quality: s.quality }, epochs, seconds });
