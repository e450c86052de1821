/** A region of source text. Lines and columns are 1-based; offsets are 0-based, end exclusive. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

/** The smallest span covering both a and b (both must be in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  const first = a.offset <= b.offset ? a : b;
  const last = a.endOffset >= b.endOffset ? a : b;
  return {
    file: a.file,
    line: first.line,
    col: first.col,
    endLine: last.endLine,
    endCol: last.endCol,
    offset: first.offset,
    endOffset: last.endOffset,
  };
}

/** A span for things that have no source (generated nodes, CLI input). */
export function syntheticSpan(file = '<generated>'): Span {
  return { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
}
