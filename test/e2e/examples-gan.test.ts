/**
 * examples/gan-mixture and examples/dcgan (CI, fixed seeds), short runs.
 * gan-mixture --quick: 15 of the 64 epochs; measured when written: 5 of the
 * 8 modes covered (the full run: 7).
 * dcgan --quick: LeNet-5 trained one epoch as the judge (>= 0.9 test
 * accuracy), 200 GAN steps: the Fréchet distance of the generator's digits
 * to the test digits (in the judge's feature space) falls below half the
 * untrained generator's (measured when written: 192 -> 38; real digits: 1.0).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExample } from '../../examples/shared/run-example.js';

test('gan-mixture: a short run covers at least 4 of the 8 modes', () => {
  const r = runExample('gan-mixture');
  assert.ok(r.metrics.modes >= 4, `modes covered ${r.metrics.modes}`);
});

test('dcgan: the judge classifies digits; 200 GAN steps halve the Fréchet distance to the test digits', () => {
  const r = runExample('dcgan') as ReturnType<typeof runExample> & { baselines: { real: { frechet: number }; untrained: { frechet: number } } };
  assert.ok(r.metrics.judge_accuracy >= 0.9, `judge accuracy ${r.metrics.judge_accuracy}`);
  const { real, untrained } = r.baselines;
  assert.ok(real.frechet < 0.05 * untrained.frechet, `real digits ${real.frechet} vs the untrained generator ${untrained.frechet}: the distance must tell them apart`);
  assert.ok(r.metrics.frechet_generator < 0.5 * untrained.frechet, `Fréchet distance ${r.metrics.frechet_generator} after 200 steps vs ${untrained.frechet} untrained`);
});

test.run();
