/**
 * The prepared bindings of one program entry on a backend, one per set of
 * dims (a batch size): the buffers, kernels or bind groups made for those
 * dims, reused while they repeat. Every backend keeps them the same way: at
 * most MAX_BINDINGS sets of dims; the next one releases the oldest.
 */
import type { Dims, ProgramEntry } from './program.js';

/** how many dims bindings (batch sizes) an entry keeps prepared */
export const MAX_BINDINGS = 4;

/**
 * The buffer slots of an entry's inputs by name: those the caller feeds
 * (data and train inputs), and the scalars the runtime feeds (role 'hyper':
 * lr, step, seed). Kept apart, so that a train input named `lr` or a model
 * input named `step` is its own input, not the optimizer's.
 */
export function inputSlots(entry: ProgramEntry): { data: Map<string, number>; hyper: Map<string, number> } {
  return {
    data: new Map(entry.inputs.filter((i) => i.role !== 'hyper').map((i) => [i.name, i.buffer])),
    hyper: new Map(entry.inputs.filter((i) => i.role === 'hyper').map((i) => [i.name, i.buffer])),
  };
}

/** The key of a set of dims: `B=32,T=16` (names sorted). */
export function dimsKey(dims: Dims): string {
  return Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(',');
}

export class BindingCache<B> {
  private readonly byDims = new Map<string, B>();

  /** `release` frees what a binding holds (buffers, kernels, threaded calls) when it is evicted or cleared. */
  constructor(private readonly release: (binding: B) => void) {}

  /**
   * The binding of `dims`; made by `make` (given its own copy of the dims)
   * when there is none, after the oldest binding is released if the cache is full.
   */
  get(dims: Dims, make: (dims: Dims) => B): B {
    const key = dimsKey(dims);
    const hit = this.byDims.get(key);
    if (hit !== undefined) return hit;
    if (this.byDims.size >= MAX_BINDINGS) {
      const [oldest, binding] = this.byDims.entries().next().value!;
      this.byDims.delete(oldest);
      this.release(binding);
    }
    const made = make({ ...dims });
    this.byDims.set(key, made);
    return made;
  }

  /** Forget the binding of `dims` when it is still `binding` (one that failed to be made), without releasing it. */
  forget(dims: Dims, binding: B): void {
    const key = dimsKey(dims);
    if (this.byDims.get(key) === binding) this.byDims.delete(key);
  }

  /** Release every binding. */
  clear(): void {
    for (const b of this.byDims.values()) this.release(b);
    this.byDims.clear();
  }
}
