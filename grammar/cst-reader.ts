/**
 * Reading the concrete syntax tree of grammar/parser.ts: children by key
 * (real tokens only, never ones invented by error recovery), source extents
 * and spans, names, and the syntax diagnostics the AST builders report.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Span } from './span.js';
import { makeDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';

export type Children = Record<string, CstElement[] | undefined>;

/** The source extent of a CST node, cached on the node itself. */
const extentKey = Symbol('extent');
type WithExtent = CstNode & { [extentKey]?: [number, number] | null };

export function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined && (e as IToken).tokenType !== undefined;
}

/** A token the lexer produced (not one invented by error recovery). */
export function isRealToken(t: IToken): boolean {
  return !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

export class CstReader {
  readonly diagnostics: Diagnostic[] = [];
  /** tokens a body skipped because no statement starts with them (reported by the caller) */
  readonly strays: IToken[] = [];
  /** offsets where each line starts, for spans computed from offsets */
  protected readonly lineStarts: number[] = [0];

  constructor(
    protected readonly source: string,
    private readonly file: string,
  ) {
    for (let i = 0; i < source.length; i++) if (source[i] === '\n') this.lineStarts.push(i + 1);
  }

  // ------------------------------------------------------------- helpers

  protected tokens(node: CstNode | undefined, key: string): IToken[] {
    const list = node?.children[key];
    if (!list) return [];
    return list.filter((e): e is IToken => isToken(e) && isRealToken(e));
  }

  protected token(node: CstNode | undefined, key: string): IToken | undefined {
    return this.tokens(node, key)[0];
  }

  protected nodes(node: CstNode | undefined, key: string): CstNode[] {
    const list = node?.children[key];
    if (!list) return [];
    return list.filter((e): e is CstNode => !isToken(e));
  }

  protected node(node: CstNode | undefined, key: string): CstNode | undefined {
    return this.nodes(node, key)[0];
  }

  /** [first offset, end offset] of the real tokens under a node (memoized), or null when it has none. */
  protected extent(node: CstNode): [number, number] | null {
    const known = (node as WithExtent)[extentKey];
    if (known !== undefined) return known;
    let start = Infinity;
    let end = -Infinity;
    for (const list of Object.values(node.children as Children)) {
      for (const e of list ?? []) {
        if (isToken(e)) {
          if (!isRealToken(e)) continue;
          start = Math.min(start, e.startOffset);
          end = Math.max(end, (e.endOffset ?? e.startOffset) + 1);
        } else {
          const x = this.extent(e);
          if (x) {
            start = Math.min(start, x[0]);
            end = Math.max(end, x[1]);
          }
        }
      }
    }
    const result: [number, number] | null = Number.isFinite(start) ? [start, end] : null;
    (node as WithExtent)[extentKey] = result;
    return result;
  }

  protected firstOffset(node: CstNode): number {
    return this.extent(node)?.[0] ?? Infinity;
  }

  /** The first real token under a node. */
  protected firstToken(node: CstNode): IToken | undefined {
    let best: IToken | undefined;
    for (const list of Object.values(node.children as Children)) {
      for (const e of list ?? []) {
        const t = isToken(e) ? (isRealToken(e) ? e : undefined) : this.firstToken(e);
        if (t && (!best || t.startOffset < best.startOffset)) best = t;
      }
    }
    return best;
  }

  protected offsetSpan(start: number, end: number): Span {
    const pos = (offset: number): [number, number] => {
      let lo = 0;
      let hi = this.lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.lineStarts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      return [lo + 1, offset - this.lineStarts[lo] + 1];
    };
    const [line, col] = pos(start);
    const [endLine, endCol] = pos(end);
    return { file: this.file, line, col, endLine, endCol, offset: start, endOffset: end };
  }

  tokenSpan(t: IToken): Span {
    return this.offsetSpan(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  /** The span of all real tokens under a node, or undefined when it has none. */
  protected cstSpan(node: CstNode | undefined): Span | undefined {
    const x = node && this.extent(node);
    return x ? this.offsetSpan(x[0], x[1]) : undefined;
  }

  protected name(t: IToken | undefined): A.Name | undefined {
    if (!t) return undefined;
    return { kind: 'Name', name: t.image, span: this.tokenSpan(t) };
  }

  protected error(span: Span, message: string, help?: string): void {
    this.diagnostics.push(makeDiagnostic('DNN0002', span, { message }, help ? { help } : {}));
  }

  protected text(span: Span): string {
    return this.source.slice(span.offset, span.endOffset);
  }
}
