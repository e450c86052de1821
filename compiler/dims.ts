/**
 * Dimensions: a number, or a symbolic polynomial with integer coefficients
 * in canonical text form ("B", "B*T", "T-1", "2*T+1"). Symbolic dims stay
 * symbolic through shape inference and are bound at run time from inputs.
 */
export type Dim = number | string;

/** A dim name as the language spells it (a letter of any script or '_', then letters, digits, '_'). */
export const DIM_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** Whether `d` is a single symbolic dim (`B`), not a number or a polynomial (`2*T-1`). */
export function isDimName(d: Dim): d is string {
  return typeof d === 'string' && DIM_NAME.test(d);
}
export type Shape = Dim[];
export type DimEnv = Record<string, number>;

/** monomial key ('' for the constant term, else sorted symbols joined by '*') -> coefficient */
type Poly = Map<string, number>;

/** parsed polynomials by their text: shape rules and code generators parse the same few dims over and over */
const parsed = new Map<string, Poly>();

/** The polynomial of `d` (a fresh Map: callers may change it). */
function parsePoly(d: Dim): Poly {
  if (typeof d === 'number') return d !== 0 ? new Map([['', d]]) : new Map();
  let p = parsed.get(d);
  if (!p) {
    p = parsePolyText(d);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(d, p);
  }
  return new Map(p);
}

function parsePolyText(d: string): Poly {
  const p: Poly = new Map();
  // canonical form: terms separated by + or -, each "c*X*Y" or "X" or "c"
  const terms = d.replace(/\s+/g, '').replace(/-/g, '+-').split('+').filter((t) => t !== '');
  for (const term of terms) {
    let coef = 1;
    const syms: string[] = [];
    let t = term;
    if (t.startsWith('-')) {
      coef = -1;
      t = t.slice(1);
    }
    for (const f of t.split('*')) {
      if (/^\d+$/.test(f)) coef *= Number(f);
      else syms.push(f);
    }
    const key = syms.sort().join('*');
    p.set(key, (p.get(key) ?? 0) + coef);
  }
  for (const [k, v] of p) if (v === 0) p.delete(k);
  return p;
}

function printPoly(p: Poly): Dim {
  const keys = [...p.keys()].filter((k) => p.get(k) !== 0);
  if (keys.length === 0) return 0;
  if (keys.length === 1 && keys[0] === '') return p.get('')!;
  // symbolic terms first (sorted), constant last
  keys.sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  let s = '';
  for (const k of keys) {
    const c = p.get(k)!;
    const mag = Math.abs(c);
    const body = k === '' ? String(mag) : mag === 1 ? k : `${mag}*${k}`;
    if (s === '') s = c < 0 ? `-${body}` : body;
    else s += c < 0 ? `-${body}` : `+${body}`;
  }
  return s;
}

/** The terms of a dim as coefficient times symbols ("2*B*T-1" -> 2*[B, T] and -1*[]), for exporters that rebuild it from run-time sizes. */
export function dimTerms(d: Dim): { coef: number; symbols: string[] }[] {
  return [...parsePoly(d)].map(([k, coef]) => ({ coef, symbols: k ? k.split('*') : [] }));
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  const p = parsePoly(a);
  for (const [k, v] of parsePoly(b)) p.set(k, (p.get(k) ?? 0) + v);
  return printPoly(p);
}

export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimMul(b, -1));
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const pa = parsePoly(a);
  const pb = parsePoly(b);
  const out: Poly = new Map();
  for (const [ka, va] of pa)
    for (const [kb, vb] of pb) {
      const key = [...(ka ? ka.split('*') : []), ...(kb ? kb.split('*') : [])].sort().join('*');
      out.set(key, (out.get(key) ?? 0) + va * vb);
    }
  return printPoly(out);
}

/** Exact division; undefined when a is not a multiple of b (as polynomials). */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  if (typeof a === 'number' && typeof b === 'number') return b !== 0 && a % b === 0 ? a / b : undefined;
  const pb = parsePoly(b);
  if (pb.size !== 1) return undefined; // only division by a monomial
  const [[kb, vb]] = [...pb];
  const bsyms = kb ? kb.split('*') : [];
  const out: Poly = new Map();
  for (const [ka, va] of parsePoly(a)) {
    if (va % vb !== 0) return undefined;
    const syms = ka ? ka.split('*') : [];
    for (const s of bsyms) {
      const i = syms.indexOf(s);
      if (i < 0) return undefined;
      syms.splice(i, 1);
    }
    out.set(syms.sort().join('*'), va / vb);
  }
  return printPoly(out);
}

export function dimProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

export function normDim(d: Dim): Dim {
  return typeof d === 'number' ? d : printPoly(parsePoly(d));
}

export function dimEq(a: Dim, b: Dim): boolean {
  return normDim(a) === normDim(b);
}

export function shapeEq(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

export function isStaticDim(d: Dim): d is number {
  return typeof d === 'number';
}

export function dimSymbols(d: Dim): string[] {
  if (typeof d === 'number') return [];
  const out = new Set<string>();
  for (const k of parsePoly(d).keys()) if (k) for (const s of k.split('*')) out.add(s);
  return [...out].sort();
}

/**
 * True when `d` is below 0 whatever positive values its symbols take: a
 * negative number, or a polynomial with no positive coefficient (`B - 2*B`,
 * `-T - 1`). Dims that are negative only for some values (`T - 5`) are
 * checked when inputs bind them.
 */
export function alwaysNegative(d: Dim): boolean {
  if (typeof d === 'number') return d < 0;
  const coefficients = [...parsePoly(d).values()];
  return coefficients.length > 0 && coefficients.every((c) => c <= 0);
}

export function evalDim(d: Dim, env: DimEnv): number {
  if (typeof d === 'number') return d;
  let total = 0;
  for (const [k, v] of parsePoly(d)) {
    let term = v;
    if (k)
      for (const s of k.split('*')) {
        const x = Object.hasOwn(env, s) ? env[s] : undefined; // not Object.prototype's `constructor`
        if (x === undefined) throw new Error(`symbolic dim '${s}' is not bound`);
        term *= x;
      }
    total += term;
  }
  return total;
}

export function evalShape(s: readonly Dim[], env: DimEnv): number[] {
  return s.map((d) => evalDim(d, env));
}

/** A JS expression computing d from an object named `envName` (e.g. "dims.B*dims.T"). */
export function dimToJs(d: Dim, envName = 'dims'): string {
  if (typeof d === 'number') return String(d);
  const parts: string[] = [];
  for (const [k, v] of parsePoly(d)) {
    const syms = k ? k.split('*').map((s) => `${envName}.${s}`) : [];
    const factors = v === 1 && syms.length ? syms : [String(v), ...syms];
    parts.push(factors.join('*'));
  }
  return parts.length ? `(${parts.join('+')})` : '0';
}

export function shapeToString(s: readonly Dim[]): string {
  return `[${s.join(', ')}]`;
}
