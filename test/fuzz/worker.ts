/**
 * The fuzzer's worker thread: runs one input at a time through the oracle and
 * reports each stage as it ends, so that the pool can time the stages and
 * terminate the thread when one overruns (a hang in the main thread could
 * not be stopped).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuMs, threadStatPath } from './cputime.js';
import { checkCodegen, checkCompile, crash, fileOperations, type StageResult } from './oracle.js';

export interface Job {
  id: number;
  source: string;
  codegen: boolean;
}

/**
 * `ready` gives the thread's /proc stat path (budgets in CPU time); `ms` is
 * the stage's CPU time where known, else wall time; `operations`, when code
 * generation follows, the compiled file's operations (its budget grows with them).
 */
export type Report = { ready: true; stat?: string } | { id: number; stage: 'compile' | 'codegen'; result: StageResult; ms: number; last: boolean; operations?: number };

const port = parentPort!;
const { sourceDir } = workerData as { sourceDir: string };
const stat = threadStatPath();

/** A clock for the stages: this thread's CPU time where /proc has it, else the wall clock. */
function now(): number {
  return (stat !== undefined ? threadCpuMs(stat) : undefined) ?? performance.now();
}

async function run(job: Job): Promise<void> {
  let t0 = now();
  const { result, file } = checkCompile(job.source, sourceDir);
  const more = job.codegen && result.kind === 'ok' && file !== undefined;
  port.postMessage({ id: job.id, stage: 'compile', result, ms: now() - t0, last: !more, ...(more ? { operations: fileOperations(file) } : {}) } satisfies Report);
  if (!more) return;
  t0 = now();
  let gen: StageResult;
  try {
    gen = await checkCodegen(file);
  } catch (e) {
    gen = crash('codegen', e);
  }
  port.postMessage({ id: job.id, stage: 'codegen', result: gen, ms: now() - t0, last: true } satisfies Report);
}

// warm up (module loading, first compilation) before the pool starts timing
await run({ id: -1, source: 'model Warm { input x: f32[B, 2]  output y: f32[B, 2]  y = x |> dense(2) |> relu }\ntrain Warm { t: f32[B, 2]  loss = mse(y, t)  optimizer = sgd(lr: 0.1) }\n', codegen: true }).catch(() => undefined);
port.on('message', (job: Job) => void run(job));
port.postMessage({ ready: true, ...(stat !== undefined ? { stat } : {}) } satisfies Report);
