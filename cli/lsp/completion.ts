/**
 * Completion and hover from the built-in registry: layers, functions,
 * losses and metrics everywhere; optimizers, schedules, data sets and
 * clipping rules in the train-block field that takes them (`optimizer = ad|`
 * offers adam and adamw first), like the compiler's "did you mean".
 */
import type { CompletionItem, CompletionItemKind, MarkupContent } from 'vscode-languageserver';
import type { Builtin, BuiltinKind } from '../../compiler/lower/builtin.js';
import { builtins } from '../../compiler/lower/builtins/index.js';
import { parseSignature } from '../../compiler/reference/signature.js';
import { allTokens } from '../../grammar/tokens.js';

/** LSP's CompletionItemKind values. */
const ITEM_KIND: Record<BuiltinKind, CompletionItemKind> = { layer: 7 /* Class */, fn: 3 /* Function */, loss: 3, metric: 3, optimizer: 9 /* Module */, schedule: 9, data: 9, clip: 3 };
const KEYWORD_KIND: CompletionItemKind = 14;

/** The train-block fields whose value is one of these kinds. */
const FIELD_KINDS: Record<string, BuiltinKind[]> = { optimizer: ['optimizer'], schedule: ['schedule'], data: ['data'], validate: ['data'], test: ['data'], clip: ['clip'], loss: ['loss'], metrics: ['metric'] };
const TRAIN_ONLY: ReadonlySet<BuiltinKind> = new Set(['optimizer', 'schedule', 'data', 'clip']);

const KEYWORDS = allTokens.filter((t) => t.name.startsWith('Kw_')).map((t) => t.name.slice(3));

/** The identifier being typed at `character` of `line`, and the text before it. */
export function wordBefore(line: string, character: number): { word: string; before: string } {
  const head = line.slice(0, character);
  const m = /[A-Za-z_]\w*$/.exec(head);
  return { word: m ? m[0] : '', before: m ? head.slice(0, m.index) : head };
}

/** The word under the cursor (for hover). */
export function wordAt(line: string, character: number): string {
  const left = /[A-Za-z_]\w*$/.exec(line.slice(0, character))?.[0] ?? '';
  const right = /^\w*/.exec(line.slice(character))?.[0] ?? '';
  return left + right;
}

function item(b: Builtin, preferred: boolean): CompletionItem {
  const sig = parseSignature(b.name, b.doc);
  return {
    label: b.name,
    kind: ITEM_KIND[b.kind],
    detail: sig ? sig.call : b.kind,
    documentation: sig?.description || b.doc,
    // the field's own kind first, then layers, then the rest
    sortText: `${preferred ? 0 : b.kind === 'layer' ? 1 : 2}${b.name}`,
  };
}

/** Completion items at `character` of `line`. */
export function completeAt(line: string, character: number): CompletionItem[] {
  const { before } = wordBefore(line, character);
  // after a dot (data.label) the names are not built-ins
  if (/\.\s*$/.test(before)) return [];
  const field = /^\s*([A-Za-z_]\w*)\s*=/.exec(before)?.[1];
  const wanted = field !== undefined ? FIELD_KINDS[field] : undefined;
  const inTrainField = wanted !== undefined && wanted.some((k) => TRAIN_ONLY.has(k));
  const items: CompletionItem[] = [];
  for (const b of builtins.values()) {
    if (TRAIN_ONLY.has(b.kind) && !inTrainField) continue;
    items.push(item(b, wanted?.includes(b.kind) ?? false));
  }
  if (!field) for (const k of KEYWORDS) items.push({ label: k, kind: KEYWORD_KIND, sortText: `3${k}` });
  return items;
}

/** The hover text of a built-in name: its signature, what it does, its shapes. */
export function hoverFor(word: string): MarkupContent | undefined {
  const b = builtins.get(word);
  if (!b) return undefined;
  const sig = parseSignature(b.name, b.doc);
  const parts = ['```dnn', sig?.call ?? b.name, '```', sig?.description ?? b.doc];
  if (b.reference?.shapes) parts.push('', `Shapes: ${b.reference.shapes}`);
  return { kind: 'markdown', value: parts.join('\n') };
}
