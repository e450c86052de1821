/**
 * examples/autoencoder (CI, fixed seed): `main.ts --quick` trains the
 * convolutional autoencoder on 3,000 digits for one epoch (94 steps) and
 * scores 500 test digits beside the baselines fitted on the same 3,000:
 * the mean image (about 0.068) and PCA with the code's 32 components (about
 * 0.017). Measured when written: mse 0.043. A short run must be well below
 * the mean image; the full run (README.md) is measured against PCA.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExample } from '../../examples/shared/run-example.js';

test('autoencoder: a short run reconstructs test digits far better than the mean image', () => {
  const r = runExample('autoencoder') as ReturnType<typeof runExample> & { baselines: Record<string, { mse: number }> };
  const { mean_image, pca } = r.baselines;
  assert.ok(r.metrics.mse < 0.75 * mean_image.mse, `test mse ${r.metrics.mse} vs the mean image's ${mean_image.mse}`);
  // the baselines themselves: PCA with 32 components is a strong linear code
  assert.ok(pca.mse < 0.4 * mean_image.mse, `PCA ${pca.mse} vs mean image ${mean_image.mse}`);
});

test.run();
