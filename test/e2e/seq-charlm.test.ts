/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The charlm
 * example (embedding + LSTM) on 2,000 windows for one epoch: test
 * cross-entropy against count models fitted on the same windows; one epoch
 * must beat the bigram (the full run beats the trigram: see the README).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the character LSTM learns the grammar text better than a bigram count model (test cross-entropy)', async () => {
  const source = readFileSync(new URL('../../examples/charlm/charlm.dnn', import.meta.url), 'utf8');
  const { metrics, baselines, seconds } = await learn(source, 'charlm.dnn', { train: 2000, validation: 500, epochs: 1 });
  assert.ok(metrics.cross_entropy < baselines.bigram.cross_entropy, `cross-entropy ${metrics.cross_entropy} vs bigram ${baselines.bigram.cross_entropy} after ${seconds.toFixed(1)} s`);
  assert.ok(baselines.bigram.cross_entropy < baselines.unigram.cross_entropy);
});

test.run();
