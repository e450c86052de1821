/**
 * Timing with benchmark.js: the median seconds per call over its samples.
 * One untimed call runs first (warm-up, JIT, allocation). Slow cases (an
 * expected second or more per call) take 2-3 samples; fast ones at least 5.
 */
import Benchmark from 'benchmark';

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
  const sample = [...bench.stats.sample].sort((a, b) => a - b);
  const mid = sample.length >> 1;
  const median = sample.length % 2 ? sample[mid] : (sample[mid - 1] + sample[mid]) / 2;
  return { median, mean: bench.stats.mean, rme: bench.stats.rme, samples: sample.length };
}
