// The VS Code side of dnnc's editor support: .dnn files get the TextMate
// grammar (syntaxes/) and the language server `dnnc lsp --stdio`, which
// publishes dnnc's diagnostics and completes built-in names. The server comes
// with the dnnc package (its optional packages vscode-languageserver and
// vscode-languageserver-textdocument must be installed beside it).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

/** The dnnc command: the setting, else the workspace's own dnnc, else the PATH's. */
function dnncCommand() {
  const configured = vscode.workspace.getConfiguration('dnnc').get('server.command');
  if (configured) return configured;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const local = join(folder.uri.fsPath, 'node_modules', '.bin', process.platform === 'win32' ? 'dnnc.cmd' : 'dnnc');
    if (existsSync(local)) return local;
  }
  return 'dnnc';
}

function activate(context) {
  const server = { command: dnncCommand(), args: ['lsp', '--stdio'], options: { shell: process.platform === 'win32' } };
  client = new LanguageClient('dnnc', 'dnnc language server', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'dnn' }, { scheme: 'untitled', language: 'dnn' }],
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
