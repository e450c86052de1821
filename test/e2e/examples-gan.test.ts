/**
 * examples/gan-mixture and examples/dcgan (CI, fixed seeds), short runs.
 * gan-mixture --quick: 15 of the 64 epochs; measured when written: 5 of the
 * 8 modes covered (the full run: 7).
 * dcgan --quick: LeNet-5 trained one epoch as the judge (>= 0.9 held-out
 * accuracy), 30 GAN steps: the generated pixels' mean moves toward the
 * real digits' (about -0.74).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExample } from '../../examples/shared/run-example.js';

test('gan-mixture: a short run covers at least 4 of the 8 modes', () => {
  const r = runExample('gan-mixture');
  assert.ok(r.metrics.modes >= 4, `modes covered ${r.metrics.modes}`);
});

test('dcgan: the judge classifies digits; a few GAN steps move the generated pixels toward the real ones', () => {
  const r = runExample('dcgan');
  assert.ok(r.metrics.classifier_accuracy >= 0.9, `classifier accuracy ${r.metrics.classifier_accuracy}`);
  assert.ok(r.metrics.pixel_gap < r.metrics.pixel_gap_start - 0.05, `|mean generated pixel - mean real pixel|: ${r.metrics.pixel_gap_start} untrained, ${r.metrics.pixel_gap} after 30 steps`);
});

test.run();
