/**
 * Worker threads that run fuzz inputs under per-stage time budgets. A stage
 * that overruns its budget is a hang: the thread is terminated (the only way
 * to stop a loop that never yields) and a fresh one replaces it. A thread
 * that dies (out of memory) is a crash of the input it was running.
 *
 * Budgets count the worker thread's CPU time where /proc gives it (Linux), so
 * that a machine busy with other work does not turn slow inputs into hangs;
 * a stage still ends after WALL_FACTOR times its budget on the wall clock.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StageResult } from './oracle.js';
import { threadCpuMs } from './cputime.js';
import { root } from './seeds.js';
import type { Job, Report } from './worker.js';

export interface Budgets {
  /** parse + lower + passes, ms, plus `perKiloChar` for each 1,000 characters of the input */
  compile: number;
  /**
   * ms more of compile per 1,000 characters of input. Parsing and lowering
   * are linear in the text, at up to about 10 µs a character for the worst
   * kind (a chain of 100,000 `+`: 200,000 characters in about 2 s on two busy
   * cores); the fuzzer's longest input (MAX_INPUT_CHARS, 400,000) then has 6 s,
   * and is no hang.
   */
  perKiloChar?: number;
  /** module, programs, a run on the CPU, ms, plus `perOperation` for each operation of the file */
  codegen: number;
  /**
   * ms more of codegen per operation the file compiles to. Code generation
   * is linear in the operations, at about 0.3 ms each here (the worker
   * thread's CPU time): a file at the limit of 20,000 (MAX_OPERATIONS)
   * takes about 6 s, 10 s on a slower or busier machine, and is no hang.
   */
  perOperation?: number;
}

export const DEFAULT_BUDGETS: Budgets = { compile: 2000, perKiloChar: 10, codegen: 10000, perOperation: 1 };

/** A stage is a hang past this many times its budget on the wall clock, whatever its CPU time. */
export const WALL_FACTOR = 20;

export interface Outcome {
  compile: StageResult;
  codegen?: StageResult;
  ms: { compile?: number; codegen?: number };
}

/** The worst of an outcome's stages. */
export function verdict(o: Outcome): StageResult {
  return o.codegen && o.codegen.kind !== 'ok' ? o.codegen : o.compile;
}

/** A folder with a small CSV file, for inputs that name data (`csv("data.csv", label: "y")`). */
function sandbox(): string {
  const dir = join(root, 'test', '.out', 'fuzz', 'data');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.csv'), 'a,b,y\n1,2,0\n3,4,1\n');
  return dir;
}

/** The worker entry: TypeScript through tsx when this runs from source. */
function spawn(sourceDir: string): Worker {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
  const code = import.meta.url.endsWith('.ts')
    ? `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  return new Worker(code, { eval: true, workerData: { sourceDir }, resourceLimits: { maxOldGenerationSizeMb: 3072, stackSizeMb: 4 }, stdout: true, stderr: true });
}

class Slot {
  private worker!: Worker;
  private ready!: Promise<void>;
  /** the worker thread's /proc stat path: budgets in CPU time */
  private stat?: string;
  private current?: { job: Job; resolve: (o: Outcome) => void; outcome: Outcome; timer?: NodeJS.Timeout; stage: 'compile' | 'codegen' };
  private nextId = 0;

  constructor(
    private readonly sourceDir: string,
    private readonly budgets: Budgets,
  ) {
    this.start();
  }

  private start(): void {
    const w = spawn(this.sourceDir);
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: Report) => {
        if ('ready' in m) {
          w.off('message', onMessage);
          this.stat = m.stat;
          resolve();
        }
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
    w.on('message', (m: Report) => this.onReport(w, m));
    w.on('error', (e: unknown) => this.onDeath(w, e instanceof Error ? e : new Error(String(e))));
    w.on('exit', (code) => this.onDeath(w, new Error(`worker exited with code ${code}`)));
    // keep the campaign's output clean: what a worker prints is not read
    w.stdout.resume();
    w.stderr.resume();
  }

  private settle(outcome: Outcome): void {
    const c = this.current!;
    clearTimeout(c.timer);
    this.current = undefined;
    c.resolve(outcome);
  }

  private cpuMs(): number | undefined {
    return this.stat !== undefined ? threadCpuMs(this.stat) : undefined;
  }

  private arm(stage: 'compile' | 'codegen', operations = 0): void {
    const c = this.current!;
    clearTimeout(c.timer);
    c.stage = stage;
    const budget =
      stage === 'compile' ? this.budgets.compile + ((this.budgets.perKiloChar ?? 0) * c.job.source.length) / 1000 : this.budgets.codegen + (this.budgets.perOperation ?? 0) * operations;
    const wall0 = performance.now();
    const cpu0 = this.cpuMs();
    const check = () => {
      const cpu = this.cpuMs();
      const spent = cpu0 !== undefined && cpu !== undefined ? cpu - cpu0 : undefined;
      const wall = performance.now() - wall0;
      if (spent !== undefined && spent < budget && wall < budget * WALL_FACTOR) {
        // the thread waited for a core: wait for the CPU time it has left
        c.timer = setTimeout(check, Math.max(50, budget - spent));
        return;
      }
      const w = this.worker;
      const how = spent !== undefined && spent < budget ? `${(wall / 1000).toFixed(0)} s on the wall clock` : `${budget.toFixed(0)} ms`;
      c.outcome[stage] = { kind: 'hang', detail: `${stage} ran past ${how}`, signature: `hang ${stage}` };
      this.settle(c.outcome);
      this.restart(w);
    };
    c.timer = setTimeout(check, budget);
  }

  private restart(dead: Worker): void {
    if (dead !== this.worker) return;
    void dead.terminate();
    this.start();
  }

  private onReport(w: Worker, m: Report): void {
    if (w !== this.worker || 'ready' in m || !this.current || m.id !== this.current.job.id) return;
    const c = this.current;
    c.outcome[m.stage] = m.result;
    c.outcome.ms[m.stage] = m.ms;
    if (m.last) this.settle(c.outcome);
    else this.arm('codegen', m.operations);
  }

  private onDeath(w: Worker, e: Error): void {
    if (w !== this.worker) return; // an old worker we terminated
    if (this.current) {
      const c = this.current;
      c.outcome[c.stage] = { kind: 'crash', detail: `worker died during ${c.stage}: ${e.message}`, signature: `crash worker-died ${c.stage} ${(e as { code?: string }).code ?? e.message.replace(/\d+/g, 'N')}` };
      this.settle(c.outcome);
    }
    this.start();
  }

  async run(source: string, codegen: boolean): Promise<Outcome> {
    await this.ready;
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, source, codegen };
      this.current = { job, resolve, outcome: { compile: { kind: 'ok' }, ms: {} }, stage: 'compile' };
      this.arm('compile');
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined as unknown as Worker; // deaths from here on are ours
    await w.terminate();
  }
}

/** `jobs` workers; `run` takes the next free one. */
export class Pool {
  private readonly slots: Slot[];
  private readonly free: Slot[];
  private readonly waiting: ((s: Slot) => void)[] = [];

  constructor(
    jobs: number,
    readonly budgets: Budgets = DEFAULT_BUDGETS,
  ) {
    const dir = sandbox();
    this.slots = Array.from({ length: jobs }, () => new Slot(dir, budgets));
    this.free = [...this.slots];
  }

  private async acquire(): Promise<Slot> {
    const s = this.free.pop();
    if (s) return s;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: Slot): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }

  /**
   * Run one input. A hang is confirmed once in a fresh worker before it is
   * reported, so that a pause of a loaded machine is not taken for one.
   */
  async run(source: string, codegen = true): Promise<Outcome> {
    const slot = await this.acquire();
    try {
      const first = await slot.run(source, codegen);
      if (verdict(first).kind !== 'hang') return first;
      return await slot.run(source, codegen);
    } finally {
      this.release(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.close()));
  }
}
