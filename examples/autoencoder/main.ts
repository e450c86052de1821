/**
 * Trains the convolutional autoencoder of autoencoder.dnn on the 8,000 MNIST
 * training digits, reports the reconstruction mse on the 2,000 held-out
 * digits and draws originals above their reconstructions in
 * examples/autoencoder/reconstructions.png.
 *
 *   npx tsx examples/autoencoder/main.ts [--json] [--seed N] [--quick]
 *
 * --quick trains on 3,000 digits for one epoch and scores 500 held-out
 * digits (the CI test).
 */
import { fileURLToPath } from 'node:url';
import { mnist } from '../../runtime/data/index.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { head } from '../shared/data.js';
import { compileDnn, modelOf } from '../shared/load.js';
import { writeGrid } from '../shared/png.js';

const args = parseArgs();
const log = logger(args.json);

const file = compileDnn(new URL('./autoencoder.dnn', import.meta.url));
const spec = file.models.find((m) => m.name === 'AutoEncoder')!.train!;
const model = await modelOf(file, 'AutoEncoder', { seed: args.seed });

const train = args.quick ? head(mnist({ split: 'train' }), 3000) : mnist({ split: 'train' });
const test = args.quick ? head(mnist({ split: 'test' }), 500) : mnist({ split: 'test' });
const epochs = args.quick ? 1 : spec.epochs;

log(`training AutoEncoder on ${train.name} (${train.size} digits), ${epochs} epoch(s), batch ${spec.batch}`);
const fit = await model.fit(train, {
  epochs,
  batchSize: spec.batch,
  validation: test,
  onEpoch: (e) => log(`epoch ${e.epoch}/${epochs}: train loss ${e.loss.toFixed(4)}, held-out mse ${e.metrics.val_mse.toFixed(4)} (${e.seconds.toFixed(1)} s)`),
});

// 16 held-out digits: originals in the top row, reconstructions below
const n = 16;
const originals = test.fields.image.data.subarray(0, n * 28 * 28);
const { recon } = await model.predict({ image: { data: originals, shape: [n, 1, 28, 28] } });
const grid = new Float32Array(2 * n * 28 * 28);
grid.set(originals, 0);
grid.set(recon.data as Float32Array, n * 28 * 28);
const png = fileURLToPath(new URL('./reconstructions.png', import.meta.url));
if (!args.quick) {
  writeGrid(png, grid, { count: 2 * n, height: 28, width: 28, cols: n, zoom: 2 });
  log(`wrote ${png}`);
}
model.dispose();

report(args.json, { metrics: { mse: fit.metrics.mse }, epochs: fit.epochs, seconds: fit.seconds });
