/**
 * The fuzzer in CI: a fixed seed and a fixed number of inputs (a few
 * minutes), which must end with no crash, no hang and no bad location.
 * `npm run fuzz -- --n 100000` runs a long campaign with a new seed;
 * docs/robustness.md records the last one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCampaign, summary } from './campaign.js';

/**
 * CI's budget: about 2 minutes on 2 cores (the campaigns run at about 7
 * inputs a second with 2 jobs, docs/robustness.md); override with FUZZ_N (0 skips)
 */
const N = Number(process.env.FUZZ_N ?? 1000);
const SEED = 20260517;

test(`fuzz: ${N} inputs from seed ${SEED} give no crash, hang or bad location`, async () => {
  if (N === 0) return;
  const report = await runCampaign({ n: N, seed: SEED, jobs: 2, minimize: true });
  console.log(`\n${summary(report)}`);
  assert.is(report.counts.ok + report.counts.diagnostic, N, summary(report));
  assert.ok(report.counts.diagnostic > N / 2, 'most mutated inputs are errors the compiler reports');
  assert.ok(report.generated > 0, 'some inputs reach code generation');
});

test.run();
