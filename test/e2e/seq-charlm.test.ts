/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The charlm example (embedding + LSTM) on 2,000 windows for one epoch: held-out
 * cross-entropy / ln(28).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the character LSTM learns the grammar text (held-out loss_ratio)', async () => {
  const source = readFileSync(new URL('../../examples/charlm/charlm.dnn', import.meta.url), 'utf8');
  const { metrics: r, seconds } = await learn(source, 'charlm.dnn', { train: 2000, validation: 500, epochs: 1 });
  const v = r.loss_ratio;
  assert.ok(v <= 0.45, `loss_ratio ${v} after ${seconds.toFixed(1)} s (want <= 0.45: a bigram model scores 0.51)`);
});

test.run();
