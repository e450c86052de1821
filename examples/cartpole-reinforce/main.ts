/**
 * REINFORCE on CartPole: the policy of cartpole-reinforce.dnn acts in 10
 * environments at once (one batched predict per time step), each iteration
 * plays one episode in each, then takes one optimizer step (trainStep) on
 * all their steps with the discounted returns (gamma 0.99), normalised to
 * zero mean and unit variance over the batch (a simple baseline).
 *
 *   npx tsx examples/cartpole-reinforce/main.ts [--json] [--seed N] [--quick]
 *
 * Reports eval_return: after training, the mean return of 100 new episodes
 * with the greedy policy under CartPole-v1's rules (500 steps at most;
 * solved: >= 475), beside a random policy's on the same episodes (about 22);
 * and avg_return, the mean of the last 100 training episodes (sampled
 * actions). --quick plays 200 episodes instead of 1,000 (the CI test).
 */
import { Rng } from '../../runtime/data/index.js';
import { CartPole, evaluationReturns, greedy, mean, meanOfLast, randomPolicyReturns } from '../shared/cartpole.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { compileDnn, modelOf } from '../shared/load.js';

const args = parseArgs();
const log = logger(args.json);

const ENVS = 10;
const EPISODES = args.quick ? 200 : 1000;
const GAMMA = 0.99;

const policy = await modelOf(compileDnn(new URL('./cartpole-reinforce.dnn', import.meta.url)), 'Policy', { seed: args.seed });
const envs = Array.from({ length: ENVS }, (_, i) => new CartPole(args.seed * 1000 + i));
const rng = new Rng(args.seed + 77);

const returns: number[] = [];
const started = Date.now();
while (returns.length < EPISODES) {
  // play one episode in every environment, acting for all live ones with one predict
  const obs = envs.map((e) => e.reset());
  const live = envs.map(() => true);
  const traj = envs.map(() => ({ obs: [] as Float32Array[], action: [] as number[] }));
  while (live.some(Boolean)) {
    const ids = live.flatMap((l, i) => (l ? [i] : []));
    const batch = new Float32Array(ids.length * 4);
    ids.forEach((e, j) => batch.set(obs[e], j * 4));
    const { logits } = await policy.predict({ obs: { data: batch, shape: [ids.length, 4] } });
    ids.forEach((e, j) => {
      const pRight = 1 / (1 + Math.exp(logits.data[2 * j] - logits.data[2 * j + 1]));
      const action = rng.next() < pRight ? 1 : 0;
      traj[e].obs.push(obs[e]);
      traj[e].action.push(action);
      const r = envs[e].step(action);
      obs[e] = r.obs;
      if (r.terminated || r.truncated) live[e] = false;
    });
  }
  // discounted returns, normalised over the batch
  const rets: number[] = [];
  for (const t of traj) {
    returns.push(t.action.length);
    const g = new Array<number>(t.action.length);
    for (let i = t.action.length - 1, acc = 0; i >= 0; i--) g[i] = acc = 1 + GAMMA * acc;
    rets.push(...g);
  }
  const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
  const std = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / rets.length) + 1e-8;
  const n = rets.length;
  const obsAll = new Float32Array(n * 4);
  const actAll = new Int32Array(n);
  let k = 0;
  for (const t of traj)
    for (let i = 0; i < t.action.length; i++, k++) {
      obsAll.set(t.obs[i], k * 4);
      actAll[k] = t.action[i];
    }
  await policy.trainStep({
    obs: { data: obsAll, shape: [n, 4] },
    action: actAll,
    ret: Float32Array.from(rets, (r) => (r - mean) / std),
  });
  if (returns.length % 100 === 0) log(`episode ${returns.length}: average return of the last 100 ${meanOfLast(returns).toFixed(1)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
// evaluation as the field reports it: 100 new episodes, greedy (the likelier action), CartPole-v1's 500-step cap
const evalReturns = await evaluationReturns(async (obs, n) => greedy((await policy.predict({ obs: { data: obs, shape: [n, 4] } })).logits.data, n));
const randomReturns = await randomPolicyReturns();
log(`evaluation: greedy average return ${mean(evalReturns).toFixed(1)} over ${evalReturns.length} episodes (solved: >= 475); a random policy: ${mean(randomReturns).toFixed(1)}`);
policy.dispose();
report(args.json, {
  metrics: { eval_return: mean(evalReturns), avg_return: meanOfLast(returns) },
  baselines: { random: { eval_return: mean(randomReturns) } },
  episodes: returns.length,
  seconds: (Date.now() - started) / 1000,
});
