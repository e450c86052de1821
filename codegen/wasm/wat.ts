/**
 * Small helpers for writing WebAssembly text (WAT, folded S-expressions)
 * from the wasm kernel emitters. The text is what a reader debugging a
 * kernel sees (the module emitter can write it next to the module); it is
 * assembled into bytes by codegen/wasm/assemble.ts.
 *
 * Sizes and strides inside kernels are `IVal`s: a number known at compile
 * time (emitted as a constant, folded into load/store offsets where it can
 * be) or the name of an i32 local computed in the function's prologue
 * from the symbolic dims (`$M`).
 */

/** an i32 known at compile time, or the name of an i32 local ('$M') */
export type IVal = number | string;

export const isStatic = (v: IVal): v is number => typeof v === 'number';

/** `(i32.const 4)` or `(local.get $M)` */
export function iget(v: IVal): string {
  return isStatic(v) ? `(i32.const ${v | 0})` : `(local.get ${v})`;
}

/** a + b as an i32 expression (constants folded) */
export function iadd(a: string | IVal, b: string | IVal): string {
  const ea = typeof a === 'number' || a.startsWith('$') ? iget(a as IVal) : a;
  const eb = typeof b === 'number' || b.startsWith('$') ? iget(b as IVal) : b;
  if (eb === '(i32.const 0)') return ea;
  if (ea === '(i32.const 0)') return eb;
  return `(i32.add ${ea} ${eb})`;
}

/** a * b as an i32 expression (constants folded) */
export function imul(a: string | IVal, b: string | IVal): string {
  if (typeof a === 'number' && typeof b === 'number') return `(i32.const ${Math.imul(a, b)})`;
  const ea = typeof a === 'number' || a.startsWith('$') ? iget(a as IVal) : a;
  const eb = typeof b === 'number' || b.startsWith('$') ? iget(b as IVal) : b;
  if (ea === '(i32.const 1)') return eb;
  if (eb === '(i32.const 1)') return ea;
  if (ea === '(i32.const 0)' || eb === '(i32.const 0)') return '(i32.const 0)';
  return `(i32.mul ${ea} ${eb})`;
}

/** IVal product at compile time when both are static, else undefined */
export function staticMul(a: IVal, b: IVal): number | undefined {
  return isStatic(a) && isStatic(b) ? a * b : undefined;
}

/**
 * A name as a WAT identifier (`$` + idchars: ASCII only). Kernel names and
 * dims come from the user's names, which may hold any letter (`Größe`, `Σ`):
 * every character outside [A-Za-z0-9_$] becomes `.<code point in hex>.`, which
 * no JS identifier contains, so distinct names stay distinct.
 */
export function watId(name: string): string {
  return `$${[...name].map((c) => (/[A-Za-z0-9_$]/.test(c) ? c : `.${c.codePointAt(0)!.toString(16)}.`)).join('')}`;
}

/** A function being written: its params, locals and body lines. */
export class WatFunction {
  private params: string[] = [];
  private locals = new Map<string, string>();
  readonly body: string[] = [];
  private exported?: string;

  constructor(
    readonly name: string,
    /** one line above the function: what it computes, with shapes */
    readonly comment: string,
  ) {}

  param(name: string, type = 'i32'): string {
    this.params.push(`(param ${name} ${type})`);
    return name;
  }

  /** declare a local once (same name, same type) and return its name */
  local(name: string, type = 'i32'): string {
    const seen = this.locals.get(name);
    if (seen && seen !== type) throw new Error(`internal: wasm local ${name} declared as ${seen} and ${type}`);
    this.locals.set(name, type);
    return name;
  }

  export(as: string): this {
    this.exported = as;
    return this;
  }

  emit(...lines: string[]): void {
    for (const l of lines) this.body.push(...l.split('\n'));
  }

  text(): string {
    const head = `(func ${this.name}${this.exported ? ` (export "${this.exported}")` : ''}${this.params.length ? ' ' + this.params.join(' ') : ''}`;
    const locals = [...this.locals].map(([n, t]) => `  (local ${n} ${t})`);
    return [`;; ${this.comment}`, head, ...locals, ...indentLines(this.body, '  '), ')'].join('\n');
  }
}

export function indentLines(lines: string[], pad: string): string[] {
  return lines.map((l) => (l === '' ? l : pad + l));
}

/** `for (v = from; v < to; v += step) body` as a block/loop pair (the body may `br $break_<v>`). */
export function forLoop(v: string, from: string, to: string, step: string | number, body: string[]): string[] {
  const id = v.slice(1);
  const inc = typeof step === 'number' ? `(i32.const ${step})` : step;
  return [
    `(local.set ${v} ${from})`,
    `(block $break_${id}`,
    `  (br_if $break_${id} (i32.ge_s (local.get ${v}) ${to}))`,
    `  (loop $next_${id}`,
    ...indentLines(body, '    '),
    `    (local.set ${v} (i32.add (local.get ${v}) ${inc}))`,
    `    (br_if $next_${id} (i32.lt_s (local.get ${v}) ${to}))`,
    '  )',
    ')',
  ];
}

/** An f32 literal that WAT reads back exactly. */
export function f32Lit(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return Object.is(x, -0) ? '-0' : String(Math.fround(x));
}
