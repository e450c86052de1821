/**
 * The CPU backend: runs an entry's kernels (plain JS functions over typed
 * arrays) in schedule order.
 *
 * Buffers are allocated per binding of the symbolic dims (per batch size)
 * and kept: a warm step allocates nothing. Param and state slots are the
 * model's own arrays, so kernels read the live weights and updates are one
 * copy each at the end of the step. Constant slots are filled once, when a
 * binding is created.
 */
import { evalShape } from '../../compiler/dims.js';
import type { Backend, PreparedEntry } from '../backend.js';
import { arrayFor } from '../init.js';
import type { Dims, KernelFn, ProgramEntry } from '../program.js';
import type { TypedArray } from '../types.js';

/** how many dims bindings (batch sizes) keep their buffers */
const MAX_BINDINGS = 4;

interface Call {
  fn: KernelFn;
  ins: TypedArray[];
  outs: TypedArray[];
}

interface Binding {
  dims: Dims;
  buffers: TypedArray[];
  calls: Call[];
  updates: { dst: TypedArray; src: TypedArray }[];
}

class CpuEntry implements PreparedEntry {
  private bindings = new Map<string, Binding>();
  private last?: Binding;
  private outputIndex: Map<string, number>;
  private inputIndex: Map<string, number>;

  constructor(
    private entry: ProgramEntry,
    private stores: Map<string, TypedArray>,
  ) {
    this.outputIndex = new Map(entry.outputs.map((o) => [o.name, o.buffer]));
    this.inputIndex = new Map(entry.inputs.map((i) => [i.name, i.buffer]));
    for (const s of entry.steps)
      if (typeof entry.kernels[s.kernel] !== 'function') throw new Error(`internal: kernel '${s.kernel}' is missing from the program`);
  }

  private bind(dims: Dims): Binding {
    const key = Object.keys(dims)
      .sort()
      .map((k) => `${k}=${dims[k]}`)
      .join(',');
    const hit = this.bindings.get(key);
    if (hit) return hit;
    const frozen: Dims = { ...dims };
    const buffers = this.entry.buffers.map((b) => {
      if (b.kind === 'param' || b.kind === 'state') {
        const t = this.stores.get(b.ref!);
        if (!t) throw new Error(`internal: no tensor for ${b.kind} '${b.ref}'`);
        return t;
      }
      const n = evalShape(b.shape, frozen).reduce((a, c) => a * c, 1);
      return arrayFor(b.dtype, n);
    });
    const calls: Call[] = [];
    for (const s of this.entry.steps) {
      const call = { fn: this.entry.kernels[s.kernel], ins: s.ins.map((i) => buffers[i]), outs: s.outs.map((i) => buffers[i]) };
      if (s.once) call.fn(call.ins, call.outs, frozen);
      else calls.push(call);
    }
    const updates = this.entry.updates
      .map((u) => ({ dst: this.stores.get(u.path)!, src: buffers[u.buffer] }))
      .filter((u) => {
        if (!u.dst) throw new Error(`internal: update of unknown tensor`);
        return u.dst !== u.src;
      });
    const binding: Binding = { dims: frozen, buffers, calls, updates };
    if (this.bindings.size >= MAX_BINDINGS) this.bindings.delete(this.bindings.keys().next().value!);
    this.bindings.set(key, binding);
    return binding;
  }

  run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): void {
    const b = this.bind(dims);
    for (const [name, data] of inputs) {
      const i = this.inputIndex.get(name);
      if (i !== undefined) b.buffers[i].set(data);
    }
    if (hyper)
      for (const name in hyper) {
        const i = this.inputIndex.get(name);
        if (i !== undefined) b.buffers[i][0] = hyper[name];
      }
    const calls = b.calls;
    const d = b.dims;
    for (let k = 0; k < calls.length; k++) {
      const c = calls[k];
      c.fn(c.ins, c.outs, d);
    }
    for (const u of b.updates) u.dst.set(u.src);
    this.last = b;
  }

  output(name: string): TypedArray {
    const i = this.outputIndex.get(name);
    if (i === undefined) throw new Error(`internal: no output '${name}'`);
    if (!this.last) throw new Error('internal: output read before the entry ran');
    return this.last.buffers[i];
  }

  dispose(): void {
    this.bindings.clear();
    this.last = undefined;
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  private entries: CpuEntry[] = [];

  prepare(entry: ProgramEntry, stores: Map<string, TypedArray>): PreparedEntry {
    const e = new CpuEntry(entry, stores);
    this.entries.push(e);
    return e;
  }

  dispose(): void {
    for (const e of this.entries) e.dispose();
    this.entries = [];
  }
}
