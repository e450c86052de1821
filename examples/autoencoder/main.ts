/**
 * Trains the convolutional autoencoder of autoencoder.dnn on the 7,000 MNIST
 * training digits (validating on the 1,000 validation digits after each
 * epoch), reports the reconstruction mse once on the 2,000 test digits beside
 * two baselines fitted on the same training digits: the mean image, and PCA
 * with as many components as the autoencoder's code has numbers (the best
 * linear code of that size). Draws originals above their reconstructions in
 * examples/autoencoder/reconstructions.png.
 *
 *   npx tsx examples/autoencoder/main.ts [--json] [--seed N] [--quick]
 *
 * --quick trains on 3,000 digits for one epoch and scores 500 test digits
 * (the CI test).
 */
import { fileURLToPath } from 'node:url';
import { fitPca, meanRowMse, pcaReconstructionMse } from '../../runtime/baselines/index.js';
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
const validation = args.quick ? head(mnist({ split: 'validation' }), 500) : mnist({ split: 'validation' });
const test = args.quick ? head(mnist({ split: 'test' }), 500) : mnist({ split: 'test' });
const epochs = args.quick ? 1 : spec.epochs;

log(`training AutoEncoder on ${train.name} (${train.size} digits), ${epochs} epoch(s), batch ${spec.batch}`);
const fit = await model.fit(train, {
  epochs,
  batchSize: spec.batch,
  validation,
  onEpoch: (e) => log(`epoch ${e.epoch}/${epochs}: train loss ${e.loss.toFixed(4)}, validation mse ${e.metrics.val_mse.toFixed(4)} (${e.seconds.toFixed(1)} s)`),
});
const tested = await model.evaluate(test, { batchSize: spec.batch });

// baselines on the same digits: the mean image, and PCA with the code's size
const codeSize = file.models.find((m) => m.name === 'AutoEncoder')!.params.find((p) => p.path === 'AutoEncoder.dense_1.weight')!.shape[1];
const PX = 28 * 28;
const pca = fitPca(train.fields.image.data, train.size, PX, codeSize);
const baselines = {
  mean_image: { mse: meanRowMse(train.fields.image.data, train.size, test.fields.image.data, test.size, PX) },
  pca: { mse: pcaReconstructionMse(pca, test.fields.image.data, test.size), components: codeSize },
};
log(`test mse ${tested.mse.toFixed(4)}; baselines: mean image ${baselines.mean_image.mse.toFixed(4)}, PCA with ${codeSize} components ${baselines.pca.mse.toFixed(4)}`);

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

report(args.json, { metrics: { mse: tested.mse }, validation: { mse: fit.metrics.mse }, baselines, epochs: fit.epochs, seconds: fit.seconds });
