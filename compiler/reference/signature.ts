/**
 * A built-in's doc line is its signature and a description:
 *   "dense(x, units, activation?, bias = true, name?): x @ W + b over the last axis"
 * Parsed here into its arguments (name, default, optional) so the reference
 * can tabulate them and a test can check them against the registry's params.
 */
export interface SignatureArg {
  name: string;
  /** as written after `=` */
  default?: string;
  /** as written after `:`, the values it takes (`split: train|validation|test`; the first is the default of an optional one) */
  values?: string;
  /** written `name?` (optional, absent means "not given") or with a default */
  optional: boolean;
}

export interface Signature {
  /** the text of the call, `dense(x, units, ...)` */
  call: string;
  args: SignatureArg[];
  /** variadic: written with `...` (`reshape(x, d1, d2, ...)`) */
  variadic: boolean;
  description: string;
}

/** Splits at commas outside brackets. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

export function parseSignature(name: string, doc: string): Signature | undefined {
  if (!doc.startsWith(`${name}(`)) return undefined;
  let depth = 0;
  let end = -1;
  for (let i = name.length; i < doc.length; i++) {
    if (doc[i] === '(') depth++;
    if (doc[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const inner = doc.slice(name.length + 1, end);
  const rest = doc.slice(end + 1).replace(/^\s*:\s*/, '').replace(/^,\s*/, '').trim();
  const args: SignatureArg[] = [];
  let variadic = false;
  for (const part of splitTop(inner)) {
    if (part === '...' || /^\[?[a-z]+\d\]?$/.test(part) || part.startsWith('...')) {
      variadic = true;
      continue;
    }
    const m = /^([A-Za-z_]\w*)(\?)?\s*(?:(=|:)\s*(.*))?$/s.exec(part);
    if (!m) return undefined;
    const value = m[4]?.trim();
    args.push({ name: m[1], optional: !!m[2] || m[3] === '=', ...(m[3] === '=' ? { default: value } : m[3] === ':' ? { values: value } : {}) });
  }
  return { call: doc.slice(0, end + 1), args, variadic, description: rest };
}
