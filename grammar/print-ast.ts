/**
 * A compact, stable text form of the AST for golden files and debugging:
 * JSON where every span is written "line:col-endLine:endCol", `kind` comes
 * first and `span` last in each node, and small nodes stay on one line.
 *
 *   { "kind": "Name", "name": "x", "span": "3:5-3:6" }
 */
import type { Span } from './span.js';

function isSpan(v: unknown): v is Span {
  return typeof v === 'object' && v !== null && 'offset' in v && 'endOffset' in v && 'line' in v;
}

export function spanText(s: Span): string {
  return `${s.line}:${s.col}-${s.endLine}:${s.endCol}`;
}

/** The AST as plain JSON data, spans as strings, keys in a fixed order. */
export function astToData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(astToData);
  if (isSpan(value)) return spanText(value);
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  const order = (k: string): number => (k === 'kind' ? 0 : k === 'span' ? 2 : 1);
  keys.sort((a, b) => order(a) - order(b));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = astToData(obj[k]);
  return out;
}

/** Pretty JSON that keeps any value whose one-line form fits in `width` on one line. */
export function printAst(value: unknown, width = 100): string {
  return format(astToData(value), '', width) + '\n';
}

function format(v: unknown, indent: string, width: number): string {
  const flat = JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
  if (flat.length + indent.length <= width || typeof v !== 'object' || v === null) return flat;
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + format(x, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner, width)}`).join(',\n')}\n${indent}}`;
}
