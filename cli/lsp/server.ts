/**
 * `dnnc lsp`: the .dnn language server, over stdio. It compiles each open
 * document as `dnnc check` does (a short while after the last edit) and
 * publishes the diagnostics with their codes and fix suggestions; it
 * completes built-in names (layers first, the field's own kind in train
 * fields) and shows a built-in's signature on hover. Editors start it as
 * `dnnc lsp --stdio` (editors/vscode does). vscode-languageserver is an
 * optional package, loaded only by this command.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSource } from '../../compiler/compile.js';
import { isUserFacingError } from '../../runtime/data/errors.js';
import { CliError } from '../common.js';
import { loadDataModule } from '../../runtime/data/module.js';
import { completeAt, hoverFor, wordAt } from './completion.js';
import { toLspDiagnostic } from './diagnostics.js';

/** How long after the last edit a document is compiled again. */
const SETTLE_MS = 150;

async function loadServerPackages() {
  try {
    const [server, textDocument] = await Promise.all([import('vscode-languageserver/node'), import('vscode-languageserver-textdocument')]);
    return { server, TextDocument: textDocument.TextDocument };
  } catch {
    throw new CliError('dnnc lsp needs the packages vscode-languageserver and vscode-languageserver-textdocument, which dnnc loads only for the language server: npm install vscode-languageserver vscode-languageserver-textdocument');
  }
}

/** The diagnostics of one document's text (`uri` a file: URI or any other). */
export function documentDiagnostics(text: string, uri: string) {
  const local = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  const result = compileSource(text, local, { sourceDir: uri.startsWith('file:') ? dirname(local) : undefined });
  return result.diagnostics.filter((d) => d.span.file === local).map((d) => toLspDiagnostic(d, uri));
}

/** Serves until the client sends `exit` (or closes the stream). */
export async function runLanguageServer(): Promise<void> {
  const { server, TextDocument } = await loadServerPackages();
  const connection = server.createConnection(server.ProposedFeatures.all);
  const documents = new server.TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();

  const validate = async (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) return;
    let diagnostics;
    try {
      // the data sets the project registers (runtime/data/module.ts) are names the document may use
      if (uri.startsWith('file:')) await loadDataModule(fileURLToPath(uri));
      diagnostics = documentDiagnostics(doc.getText(), uri);
    } catch (e) {
      if (isUserFacingError(e)) {
        diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 1 as const, source: 'dnnc', message: e.message }];
        void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
        return;
      }
      // a compiler bug must not take the editor's server down: report it on the first line
      diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 1 as const, source: 'dnnc', message: `internal error while checking this file (a bug in dnnc): ${String(e)}` }];
    }
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
  };
  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => {
      timers.delete(uri);
      void validate(uri);
    }, SETTLE_MS));
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: server.TextDocumentSyncKind.Incremental,
      // after `|>` the next stage is a layer or function name
      completionProvider: { triggerCharacters: ['>'] },
      hoverProvider: true,
    },
    serverInfo: { name: 'dnnc' },
  }));
  documents.onDidOpen((e) => void validate(e.document.uri));
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return [];
    const line = doc.getText({ start: { line: p.position.line, character: 0 }, end: { line: p.position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
    return completeAt(line, p.position.character);
  });
  connection.onHover((p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    const line = doc.getText({ start: { line: p.position.line, character: 0 }, end: { line: p.position.line + 1, character: 0 } });
    const contents = hoverFor(wordAt(line, p.position.character));
    return contents ? { contents } : null;
  });

  const closed = new Promise<void>((resolve) => connection.onExit(() => resolve()));
  documents.listen(connection);
  connection.listen();
  await closed;
}
