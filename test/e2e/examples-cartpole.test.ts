/**
 * examples/cartpole-reinforce and examples/cartpole-dqn (CI, fixed seeds):
 * short runs of the RL loops against the TypeScript CartPole. A random
 * policy averages a return of about 22.
 * Measured when written: REINFORCE 185.6 after 200 episodes; DQN 55.0
 * after 6,000 environment steps (double DQN, soft target updates). (Full runs: README.md of each example.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExample } from '../../examples/shared/run-example.js';
import { CartPole } from '../../examples/shared/cartpole.js';

test('CartPole: seeded, deterministic, a random policy lasts about 22 steps', () => {
  const play = (seed: number) => {
    const env = new CartPole(seed);
    const lengths: number[] = [];
    let s = 12345;
    for (let ep = 0; ep < 200; ep++) {
      env.reset();
      let n = 0;
      for (;;) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        n++;
        const r = env.step(s >>> 31);
        if (r.terminated || r.truncated) break;
      }
      lengths.push(n);
    }
    return lengths;
  };
  const a = play(3);
  assert.equal(a, play(3));
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean > 15 && mean < 30, `random policy mean return ${mean}`);
});

test('REINFORCE: 200 episodes lift the average return well above a random policy', () => {
  const r = runExample('cartpole-reinforce');
  assert.ok(r.metrics.avg_return >= 100, `average return of the last 100 episodes ${r.metrics.avg_return}`);
});

test('DQN: 6,000 steps lift the average return above a random policy', () => {
  const r = runExample('cartpole-dqn');
  assert.ok(r.metrics.avg_return >= 40, `average return of the last 100 episodes ${r.metrics.avg_return}`);
});

test.run();
