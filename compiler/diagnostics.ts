/**
 * Diagnostics are data: a numbered catalog of message templates, and a bag
 * that collects located errors. Nothing here throws for a user mistake.
 */
import type { Span } from '../grammar/span.js';
import { MAX_ERRORS, MAX_SUGGEST_CANDIDATES, MAX_SUGGEST_LENGTH } from './limits.js';

type Args = Record<string, string | number>;

/** Every user-facing error code with its message template. Codes are never reused. */
export const catalog = {
  DNN0001: { title: 'unexpected character', template: (a: Args) => `unexpected character '${a.text}'` },
  DNN0002: { title: 'syntax error', template: (a: Args) => `${a.message}` },
  DNN0003: { title: 'unknown name', template: (a: Args) => `unknown name '${a.name}'${a.hint ?? ''}` },
  DNN0004: { title: 'unknown op or layer', template: (a: Args) => `unknown op or layer '${a.name}'${a.hint ?? ''}` },
  DNN0005: { title: 'unknown argument', template: (a: Args) => `'${a.callee}' has no argument '${a.name}'${a.hint ?? ''}` },
  DNN0006: { title: 'missing argument', template: (a: Args) => `'${a.callee}' needs the argument '${a.name}'` },
  DNN0007: { title: 'shape mismatch', template: (a: Args) => `${a.message}` },
  DNN0008: { title: 'wrong rank', template: (a: Args) => `${a.message}` },
  DNN0009: { title: 'missing output', template: (a: Args) => `output '${a.name}' of model '${a.model}' is never assigned` },
  DNN0010: { title: 'output type mismatch', template: (a: Args) => `output '${a.name}' is declared ${a.declared} but the model computes ${a.actual}` },
  DNN0011: { title: 'unresolved dim', template: (a: Args) => `cannot resolve the dimension '${a.dim}'${a.hint ?? ''}` },
  DNN0012: { title: 'recursive block', template: (a: Args) => `block '${a.name}' calls itself (${a.chain})` },
  DNN0013: { title: 'unknown model', template: (a: Args) => `train block '${a.train}' refers to unknown model '${a.name}'${a.hint ?? ''}` },
  DNN0014: { title: 'loss not scalar', template: (a: Args) => `the loss must be a scalar, but it has shape ${a.shape}${a.hint ?? ''}` },
  DNN0015: { title: 'not supported yet', template: (a: Args) => `${a.what} is not supported yet${a.hint ?? ''}` },
  DNN0016: { title: 'duplicate definition', template: (a: Args) => `'${a.name}' is already defined` },
  DNN0017: { title: 'wrong argument type', template: (a: Args) => `${a.message}` },
  DNN0018: { title: 'dtype mismatch', template: (a: Args) => `${a.message}` },
  DNN0019: { title: 'unknown dataset', template: (a: Args) => `unknown dataset '${a.name}'${a.hint ?? ''}` },
  DNN0020: { title: 'missing train field', template: (a: Args) => `train block '${a.train}' needs '${a.field}'${a.hint ?? ''}` },
  DNN0021: { title: 'too many arguments', template: (a: Args) => `'${a.callee}' takes at most ${a.max} positional argument(s), got ${a.got}` },
  DNN0022: { title: 'invalid value', template: (a: Args) => `${a.message}` },
  DNN0023: { title: 'no model', template: () => `the file defines no model` },
  DNN0024: { title: 'unused', template: (a: Args) => `'${a.name}' is assigned but never used` },
  DNN0025: { title: 'missing return', template: (a: Args) => `block '${a.name}' has no return statement` },
  DNN0026: { title: 'invalid index', template: (a: Args) => `${a.message}` },
  DNN0027: { title: 'not differentiable', template: (a: Args) => `${a.message}` },
  DNN0028: { title: 'unknown optimizer', template: (a: Args) => `unknown optimizer '${a.name}'${a.hint ?? ''}` },
  DNN0029: { title: 'csv column', template: (a: Args) => `${a.message}` },
  DNN0030: { title: 'no kernel on a backend', template: (a: Args) => `the ${a.backend} backend has no kernel for '${a.op}'${a.from}, which '${a.owner}' needs` },
  DNN0031: { title: 'not exportable', template: (a: Args) => `cannot export '${a.owner}' to ${a.format}: ${a.what}${a.from} has no ${a.format} mapping (${a.reason})` },
  DNN0032: { title: 'nested too deeply', template: (a: Args) => `${a.what} nested deeper than ${a.max}${a.hint ?? ''}` },
  DNN0033: { title: 'over a limit', template: (a: Args) => `${a.message}` },
  DNN0034: { title: 'too many errors', template: (a: Args) => `too many errors: stopped after ${a.max}` },
  DNN0035: { title: 'unreadable data file', template: (a: Args) => `${a.message}` },
  DNN0040: { title: 'unknown train field', template: (a: Args) => `train block '${a.train}' has no field '${a.name}'${a.hint ?? ''}` },
  DNN0041: { title: 'labels out of range', template: (a: Args) => `${a.message}` },
  DNN0050: { title: 'not a bool', template: (a: Args) => `'${a.op}' needs bool operands, got ${a.what}` },
  DNN0051: { title: 'dimension used as a tensor', template: (a: Args) => `${a.message}` },
} as const;

export type DiagnosticCode = keyof typeof catalog;
export type Severity = 'error' | 'warning';

export interface DiagnosticNote {
  message: string;
  span?: Span;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span: Span;
  notes: DiagnosticNote[];
  /** a suggested fix, printed as `help: ...` */
  help?: string;
}

export function makeDiagnostic(
  code: DiagnosticCode,
  span: Span,
  args: Args = {},
  extra: { notes?: DiagnosticNote[]; help?: string; severity?: Severity } = {},
): Diagnostic {
  const entry = catalog[code] as { template: (a: Args) => string };
  return {
    code,
    severity: extra.severity ?? 'error',
    message: entry.template(args),
    span,
    notes: extra.notes ?? [],
    help: extra.help,
  };
}

/**
 * Collects diagnostics during a compilation. The same error at the same place
 * is kept once, and after MAX_ERRORS errors one DNN0034 ends the list (a file
 * of junk must not cost time per error).
 */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private readonly keys = new Set<string>();
  private errors = 0;
  private reported = 0;

  add(d: Diagnostic): void {
    if (d.severity === 'error') this.reported++;
    // the same error at the same place once is enough (e.g. a block expanded twice)
    const key = `${d.code}\u0000${d.span.file}\u0000${d.span.offset}\u0000${d.message}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (d.severity === 'error') {
      if (this.errors === MAX_ERRORS) this.items.push(makeDiagnostic('DNN0034', d.span, { max: MAX_ERRORS }));
      if (this.errors++ >= MAX_ERRORS) return;
    }
    this.items.push(d);
  }

  error(code: DiagnosticCode, span: Span, args: Args = {}, extra: { notes?: DiagnosticNote[]; help?: string } = {}): Diagnostic {
    const d = makeDiagnostic(code, span, args, extra);
    this.add(d);
    return d;
  }

  /** How many errors were reported so far, repeats and those past the limit included: compare before and after a step to see whether it failed. */
  get count(): number {
    return this.reported;
  }

  get hasErrors(): boolean {
    return this.reported > 0;
  }

  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => (a.span.file === b.span.file ? a.span.offset - b.span.offset : a.span.file < b.span.file ? -1 : 1));
  }
}

/** Thrown only to unwind out of deep lowering after a diagnostic was recorded. Never escapes the compiler. */
export class CompileAbort extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

// ------------------------------------------------------------------ "did you mean"

/**
 * Optimal-string-alignment distance (insertions, deletions, substitutions and
 * adjacent swaps cost 1), or `max + 1` as soon as it must exceed `max`.
 * Three rolling rows: O(|a|·|b|) time, O(|b|) memory.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let best = row[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row[j] = d;
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    [prev2, prev, row] = [prev, row, prev2];
  }
  return prev[b.length];
}

/**
 * The closest candidate within a small edit distance, as "; did you mean 'x'?" or ''.
 * Bounded work whatever the input: names longer than MAX_SUGGEST_LENGTH get
 * no suggestion, only candidates of similar length are compared, and at most
 * MAX_SUGGEST_CANDIDATES of them.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  if (name.length > MAX_SUGGEST_LENGTH) return '';
  const limit = name.length < 3 ? 0 : Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best = '';
  let bestDist = limit + 1;
  let seen = 0;
  for (const c of candidates) {
    if (++seen > MAX_SUGGEST_CANDIDATES) break;
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase(), limit);
    if (d < bestDist || (d === bestDist && best !== '' && c < best)) {
      best = c;
      bestDist = d;
    }
  }
  return best && bestDist <= limit ? `; did you mean '${best}'?` : '';
}

// ---------------------------------------------------------------- formatting

/**
 * Renders one diagnostic:
 *   path:line:col: error DNNnnnn: message
 *      3 |   h = dens(10)
 *        |       ^^^^
 *   note: declared here
 *     path:line:col
 *   help: ...
 */
export function formatDiagnostic(d: Diagnostic, sources: Map<string, string> | ((file: string) => string | undefined)): string {
  const get = typeof sources === 'function' ? sources : (f: string) => sources.get(f);
  const out: string[] = [];
  out.push(`${d.span.file}:${d.span.line}:${d.span.col}: ${d.severity} ${d.code}: ${d.message}`);
  out.push(...excerpt(d.span, get(d.span.file)));
  for (const n of d.notes) {
    if (n.span) {
      out.push(`  note: ${n.message} (${n.span.file}:${n.span.line}:${n.span.col})`);
      out.push(...excerpt(n.span, get(n.span.file)));
    } else {
      out.push(`  note: ${n.message}`);
    }
  }
  if (d.help) out.push(`  help: ${d.help}`);
  return out.join('\n');
}

export function formatDiagnostics(ds: Diagnostic[], sources: Map<string, string> | ((file: string) => string | undefined)): string {
  const errors = ds.filter((d) => d.severity === 'error').length;
  const body = ds.map((d) => formatDiagnostic(d, sources)).join('\n\n');
  return `${body}\n\n${errors} error${errors === 1 ? '' : 's'}`;
}

function excerpt(span: Span, source: string | undefined): string[] {
  if (source === undefined) return [];
  const lines = source.split(/\r?\n/);
  const text = lines[span.line - 1];
  if (text === undefined) return [];
  const num = String(span.line);
  const gutter = ' '.repeat(num.length);
  const endCol = span.endLine === span.line ? Math.max(span.endCol, span.col + 1) : text.length + 1;
  const width = Math.max(1, endCol - span.col);
  return [`   ${num} | ${text.replace(/\t/g, ' ')}`, `   ${gutter} | ${' '.repeat(span.col - 1)}${'^'.repeat(width)}`];
}
