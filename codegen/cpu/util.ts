/**
 * Helpers for writing CPU kernel bodies (JS source). Shapes in kernels are JS
 * expression strings per dim ("784", "dims.B"); these helpers multiply them
 * without blowing up the text and emit nested loops that walk several
 * strided buffers at once.
 */

/** A number as a JS literal that is safe inside any expression. */
export function num(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '(-Infinity)';
  const s = String(x);
  return x < 0 || Object.is(x, -0) ? `(${s})` : s;
}

/** `e` wrapped in parentheses unless it is a plain name, member access or number. */
export function paren(e: string): string {
  return /^[\w.$]+$/.test(e) ? e : `(${e})`;
}

/** Product of dim expressions, folding numeric literals ("1" disappears). */
export function mulExpr(parts: readonly string[]): string {
  let k = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) k *= Number(p);
    else syms.push(paren(p));
  }
  if (k === 0) return '0';
  if (syms.length === 0) return String(k);
  const factors = k === 1 ? syms : [String(k), ...syms];
  return factors.length === 1 ? factors[0] : `(${factors.join('*')})`;
}

/** Emits `const <prefix><d> = ...` for the row-major strides of `shape`; returns the stride names (or literals). */
export function emitStrides(shape: readonly string[], prefix: string, lines: string[]): string[] {
  const out = new Array<string>(shape.length);
  let acc = '1';
  for (let d = shape.length - 1; d >= 0; d--) {
    if (/^\d+$/.test(acc)) out[d] = acc;
    else {
      out[d] = `${prefix}${d}`;
      lines.push(`const ${prefix}${d} = ${acc};`);
    }
    acc = /^\d+$/.test(acc) ? mulExpr([acc, shape[d]]) : mulExpr([out[d], shape[d]]);
  }
  return out;
}

export interface Stream {
  /** start offset expression */
  base: string;
  /** per loop level, the stride expression ("0" for broadcast) */
  strides: string[];
}

/**
 * Nested loops over `sizes` (outermost first), advancing one offset per stream.
 * `body` gets the offset variable names of the innermost level. Rank 0 runs the body once.
 */
export function nestedLoops(sizes: readonly string[], streams: readonly Stream[], body: (offs: string[]) => string, tag = 'l'): string {
  const lines: string[] = ['{'];
  let cur = streams.map((s, k) => {
    lines.push(`let ${tag}${k}_b = ${s.base};`);
    return `${tag}${k}_b`;
  });
  let close = '';
  for (let d = 0; d < sizes.length; d++) {
    const next = streams.map((_, k) => `${tag}${k}_${d}`);
    const inits = next.map((n, k) => `${n} = ${cur[k]}`).join(', ');
    const steps = streams
      .map((s, k) => (s.strides[d] === '0' ? '' : `${next[k]} += ${s.strides[d]}`))
      .filter((x) => x)
      .join(', ');
    lines.push(`for (let ${tag}i${d} = 0, ${inits}; ${tag}i${d} < ${paren(sizes[d])}; ${tag}i${d}++${steps ? ', ' + steps : ''}) {`);
    close += '}';
    cur = next;
  }
  lines.push(body(cur));
  lines.push(close + '}');
  return lines.join('\n');
}
