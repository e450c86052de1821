/**
 * One wasm kernel function being built: its parameters in the order the
 * runtime passes them, and sizes as IVals (codegen/wasm/wat.ts).
 *
 * Signature of every wasm kernel (all i32):
 *   (a0, a1, ...  byte offsets of the kernel's arguments it reads or writes
 *    d_B, ...     the symbolic dims it uses, in the order of WasmKernelSpec.dims
 *    scratch      this thread's scratch area (WasmKernelSpec.scratch bytes)
 *    r0, r1)      the rows [r0, r1) to compute (WasmKernelSpec.rows)
 */
import { dimTerms, type Dim } from '../../compiler/dims.js';
import { WatFunction, watId, type IVal } from './wat.js';

export class KernelBuilder {
  readonly f: WatFunction;
  /** helper functions (micro-kernels) the kernel calls */
  readonly funcs: WatFunction[] = [];
  private prologue: string[] = [];
  private named = new Map<string, string>();
  private used = new Map<string, number>();

  /** `base`, or `base2`, `base3`, ... on later calls: names of helpers when one function holds several GEMMs */
  unique(base: string): string {
    const n = (this.used.get(base) ?? 0) + 1;
    this.used.set(base, n);
    return n === 1 ? base : `${base}${n}`;
  }

  constructor(
    /** the kernel's name, also its export name */
    readonly name: string,
    comment: string,
    /** names of the pointer parameters, in argument order */
    pointers: string[],
    /** symbolic dims passed after the pointers */
    readonly dims: string[],
  ) {
    this.f = new WatFunction(watId(name), comment).export(name);
    for (const p of pointers) this.f.param(p);
    for (const d of dims) this.f.param(watId(`d_${d}`));
    this.f.param('$scratch');
    this.f.param('$r0');
    this.f.param('$r1');
  }

  /** A Dim as an i32 expression over the dims parameters. */
  dimExpr(d: Dim): string {
    if (typeof d === 'number') return `(i32.const ${d})`;
    const terms = dimTerms(d).map(({ coef, symbols }) => {
      const factors = symbols.map((s) => {
        if (!this.dims.includes(s)) throw new Error(`internal: wasm kernel ${this.name} uses dim ${s} it was not given`);
        return `(local.get ${watId(`d_${s}`)})`;
      });
      if (coef !== 1 || factors.length === 0) factors.unshift(`(i32.const ${coef})`);
      return factors.reduce((a, b) => `(i32.mul ${a} ${b})`);
    });
    return terms.length ? terms.reduce((a, b) => `(i32.add ${a} ${b})`) : '(i32.const 0)';
  }

  /** A Dim as an IVal: the number when static, else a local `$<name>` set in the prologue. */
  ival(d: Dim, name: string): IVal {
    if (typeof d === 'number') return d;
    const local = this.f.local(`$${name}`);
    const key = `${name}=${d}`;
    if (!this.named.has(key)) {
      this.named.set(key, local);
      this.prologue.push(`(local.set ${local} ${this.dimExpr(d)})`);
    }
    return local;
  }

  /** Finish: the prologue (dims into locals), then `body`. */
  finish(body: string[]): WatFunction {
    this.f.emit(...this.prologue, ...body);
    return this.f;
  }
}
