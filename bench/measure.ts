/**
 * Timing with benchmark.js: the median seconds per call over its samples.
 * One untimed call runs first (warm-up, JIT, allocation). Slow cases (an
 * expected second or more per call) take 2-3 samples; fast ones at least 5.
 */
import Benchmark from 'benchmark';
import { median } from './stats.js';

export interface Timing {
  /** median seconds per operation over benchmark.js's samples */
  median: number;
  mean: number;
  /** relative margin of error, percent (benchmark.js) */
  rme: number;
  samples: number;
}

export async function measure(fn: () => unknown | Promise<unknown>, expectSeconds: number, quick = false): Promise<Timing> {
  await fn();
  const slow = expectSeconds >= 1;
  let failure: unknown;
  const bench = new Benchmark({
    defer: true,
    async: true,
    minSamples: slow ? 2 : quick ? 3 : 5,
    maxTime: slow ? (quick ? expectSeconds : 2.5 * expectSeconds) : quick ? 1 : 3,
    minTime: slow ? 0 : quick ? 0.05 : 0.1,
    initCount: 1,
    // benchmark.js re-compiles `fn` from its source unless it is a real closure
    fn: (deferred: Benchmark.Deferred) => {
      Promise.resolve(fn()).then(
        () => deferred.resolve(),
        (e) => {
          failure = e;
          deferred.resolve();
        },
      );
    },
  } as Benchmark.Options);
  await new Promise<void>((resolve, reject) => {
    bench.on('complete', () => resolve());
    bench.on('error', (e: Benchmark.Event) => reject((e.target as unknown as { error?: unknown }).error ?? new Error('benchmark failed')));
    bench.run({ async: true });
  });
  if (failure) throw failure;
  const sample = bench.stats.sample;
  return { median: median(sample), mean: bench.stats.mean, rme: bench.stats.rme, samples: sample.length };
}

/**
 * The same sampling by this process's CPU time (process.cpuUsage: user +
 * system, every thread) instead of the wall clock: a warm-up call, then
 * samples of at least 0.1 s of CPU (0.05 quick), at least 5 (3 quick) in
 * about 3 s (1 s quick) of CPU; the median seconds per call. Steadier on a
 * shared, loaded machine; on several threads it is their total work, not
 * the time to an answer.
 */
export async function measureCpu(fn: () => unknown | Promise<unknown>, expectSeconds: number, quick = false): Promise<Timing> {
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  await fn();
  let t0 = cpu();
  await fn();
  const one = Math.max(cpu() - t0, 1e-6, expectSeconds / 100);
  const minTime = quick ? 0.05 : 0.1;
  const minSamples = expectSeconds >= 1 ? 2 : quick ? 3 : 5;
  const maxTime = expectSeconds >= 1 ? 2.5 * expectSeconds : quick ? 1 : 3;
  const perSample = Math.max(1, Math.floor(minTime / one));
  const samples: number[] = [];
  const start = cpu();
  while (samples.length < minSamples || (cpu() - start < maxTime && samples.length < 200)) {
    t0 = cpu();
    for (let i = 0; i < perSample; i++) await fn();
    samples.push((cpu() - t0) / perSample);
  }
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  return { median: median(samples), mean, rme: 0, samples: samples.length };
}

/**
 * Two sides timed exactly alike, for an A/B comparison (bench/fusion.bench.ts):
 * the same warm-up (`warmup` untimed calls each), the same calls per sample
 * (sized from the slower side's warm call, at least `minSample` seconds),
 * the same number of samples, the same clock (performance.now, wall time),
 * the samples interleaved A B B A A B ... so a change in the machine's load
 * falls on both alike. The median seconds per call of each side.
 */
export async function measurePair(
  a: () => unknown | Promise<unknown>,
  b: () => unknown | Promise<unknown>,
  quick = false,
): Promise<[Timing, Timing]> {
  const warmup = 3;
  const samples = quick ? 5 : 15;
  const minSample = quick ? 0.05 : 0.1;
  const once = async (fn: () => unknown | Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };
  let slowest = 0;
  for (const fn of [a, b]) {
    for (let i = 1; i < warmup; i++) await fn();
    slowest = Math.max(slowest, await once(fn)); // the last warm-up call, timed to size the samples
  }
  const perSample = Math.max(1, Math.ceil(minSample / Math.max(slowest, 1e-6)));
  const sample = async (fn: () => unknown | Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < perSample; i++) await fn();
    return (performance.now() - t0) / 1000 / perSample;
  };
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i % 2 === 0) {
      sa.push(await sample(a));
      sb.push(await sample(b));
    } else {
      sb.push(await sample(b));
      sa.push(await sample(a));
    }
  }
  return [summary(sa), summary(sb)];
}

/** median, mean and relative margin of error (95%, normal approximation) of per-call seconds */
function summary(xs: number[]): Timing {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { median: median(xs), mean, rme: mean > 0 ? (100 * 1.96 * sd) / Math.sqrt(xs.length) / mean : 0, samples: xs.length };
}
