/**
 * How a failed command ends: the exit code, the line on stderr, and, for
 * commands run with --json, one JSON line on stdout ({"error": {...}}) so
 * that a script reading stdout always gets a last line to parse.
 */
import { CommanderError } from 'commander';
import type { Diagnostic } from '../compiler/diagnostics.js';
import { isUserFacingError } from '../runtime/data/index.js';
import { CliError, DiagnosticsReported, EXIT_INTERNAL, EXIT_USAGE, EXIT_USER } from './common.js';
import { fileErrorMessage } from './fs-errors.js';

export interface Failure {
  exit: number;
  kind: 'usage' | 'diagnostics' | 'user' | 'internal';
  /** one line for stderr after `dnnc: error: ` (empty: already printed, as diagnostics are) */
  message: string;
  diagnostics?: Diagnostic[];
  /** the stack of an internal error, shown with DNNC_DEBUG=1 */
  stack?: string;
}

export function oneLine(message: string): string {
  return message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
}

/** What a thrown value means for the user; undefined for commander's help and version exits (success). */
export function classify(e: unknown): Failure | undefined {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return undefined;
    if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') return { exit: EXIT_USAGE, kind: 'usage', message: '' };
    return { exit: EXIT_USAGE, kind: 'usage', message: oneLine(e.message) };
  }
  if (e instanceof DiagnosticsReported) {
    return { exit: EXIT_USER, kind: 'diagnostics', message: '', diagnostics: e.diagnostics };
  }
  if (e instanceof CliError) return { exit: e.code, kind: e.code === EXIT_USAGE ? 'usage' : 'user', message: oneLine(e.message) };
  if (isUserFacingError(e)) {
    // a weights mismatch lists one problem per line: keep the lines
    const text = e.name === 'WeightsError' ? e.message.trim() : oneLine(e.message);
    const advice = e.name === 'BackendError' ? '; run on the CPU with --backend cpu, or let --backend auto pick what this machine has' : '';
    return { exit: EXIT_USER, kind: 'user', message: text + advice };
  }
  // a file the command could not read or write: the path and the reason, not a stack
  const fileTrouble = fileErrorMessage(e);
  if (fileTrouble !== undefined) return { exit: EXIT_USER, kind: 'user', message: oneLine(fileTrouble) };
  const err = e instanceof Error ? e : new Error(String(e));
  return { exit: EXIT_INTERNAL, kind: 'internal', message: oneLine(err.message), stack: err.stack };
}

/** The stderr text of a failure (diagnostics were printed when they were reported). */
export function failureText(f: Failure, debug: boolean): string {
  if (f.kind === 'internal') {
    const more = debug ? `${f.stack ?? ''}\n` : '(this is a bug in dnnc; run with DNNC_DEBUG=1 to see the stack trace)\n';
    return `dnnc: internal error: ${f.message}\n${more}`;
  }
  return f.message ? `dnnc: error: ${f.message}\n` : '';
}

/** The last stdout line of a failed --json command. */
export function failureJson(f: Failure): string {
  const diagnostics = f.diagnostics?.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    line: d.span.line,
    col: d.span.col,
    ...(d.help ? { help: d.help } : {}),
  }));
  const message = f.message || (diagnostics?.length ? `${diagnostics.filter((d) => d.severity === 'error').length} error(s) in the .dnn file` : 'usage error');
  return JSON.stringify({ error: { kind: f.kind, exit: f.exit, message, ...(diagnostics ? { diagnostics } : {}) } }) + '\n';
}
