/**
 * dnnc's diagnostics as LSP diagnostics: 1-based spans to 0-based ranges,
 * the code and its fix suggestion (`help`) kept, located notes as related
 * information.
 */
import type { Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, Range } from 'vscode-languageserver';
import type { Diagnostic } from '../../compiler/diagnostics.js';
import type { Span } from '../../grammar/span.js';

/** LSP's DiagnosticSeverity values (Error = 1, Warning = 2, Information = 3). */
const SEVERITY = { error: 1, warning: 2, note: 3 } as const;

export function spanRange(span: Span): Range {
  const start = { line: Math.max(0, span.line - 1), character: Math.max(0, span.col - 1) };
  const end = { line: Math.max(0, span.endLine - 1), character: Math.max(0, span.endCol - 1) };
  // an empty span still underlines one character
  if (end.line === start.line && end.character <= start.character) end.character = start.character + 1;
  return { start, end };
}

export function toLspDiagnostic(d: Diagnostic, uri: string): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = d.notes
    .filter((n) => n.span && n.span.file === d.span.file)
    .map((n) => ({ location: { uri, range: spanRange(n.span!) }, message: n.message }));
  const unlocated = d.notes.filter((n) => !n.span || n.span.file !== d.span.file).map((n) => `note: ${n.message}`);
  const message = [d.message, ...unlocated, ...(d.help ? [`help: ${d.help}`] : [])].join('\n');
  return {
    range: spanRange(d.span),
    severity: SEVERITY[d.severity as keyof typeof SEVERITY] ?? SEVERITY.error,
    code: d.code,
    source: 'dnnc',
    message,
    ...(related.length > 0 ? { relatedInformation: related } : {}),
  };
}
