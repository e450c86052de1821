/**
 * The language server (`dnnc lsp --stdio`, started as an editor starts it):
 * a file with errors gets dnnc's diagnostics published with their codes,
 * ranges and fix suggestions; fixing the file clears them; completion offers
 * the registry's layer names, and the field's own kind in train fields;
 * hover shows a built-in's signature.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type CompletionItem,
  type CompletionList,
  type PublishDiagnosticsParams,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

const WITH_ERRORS = `model M {
  input  x: f32[B, 4]
  output y: f32[B, 3]
  y = x |> dense(8) |> global_average_pooling |> dense(3)
}

train M {
  data       = ring(split: train)
  loss       = mse(y, data.point)
  batch_size = 64
}
`;

const FIXED = `model M {
  input  x: f32[B, 2]
  output y: f32[B, 8]
  y = x |> dense(16) |> relu |> dense(8)
}

train M {
  data  = ring(split: train)
  loss  = cross_entropy(y, data.mode)
  batch = 64
}
`;

// under examples/: its data module (examples/dnnc.data.ts) registers ring
const uri = pathToFileURL(resolve('examples/editor-test.dnn')).href;
let server: ChildProcess;
let connection: ProtocolConnection;
const published: PublishDiagnosticsParams[] = [];
let onPublish: (() => void) | undefined;

/** The next diagnostics published for the document. */
function nextDiagnostics(): Promise<PublishDiagnosticsParams> {
  const seen = published.length;
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error('no diagnostics published within 20 s')), 20_000);
    onPublish = () => {
      if (published.length > seen) {
        clearTimeout(timer);
        onPublish = undefined;
        res(published[published.length - 1]);
      }
    };
  });
}

test.before(async () => {
  server = spawn(process.execPath, ['--import', 'tsx', 'cli/dnnc.ts', 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri !== uri) return;
    published.push(p);
    onPublish?.();
  });
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
  assert.ok(init.capabilities.completionProvider, 'the server offers completion');
  assert.ok(init.capabilities.hoverProvider, 'the server offers hover');
  await connection.sendNotification(InitializedNotification.type, {});
});

test.after(async () => {
  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
  const exited = await new Promise<number | null>((res) => server.once('exit', (code) => res(code)));
  connection.dispose();
  assert.is(exited, 0, 'the server exits with 0 after shutdown and exit');
});

const text = (m: string | { value: string }) => (typeof m === 'string' ? m : m.value);
const summary = (ds: PublishDiagnosticsParams['diagnostics']) => ds.map((d) => `${d.code} ${text(d.message)}`).join('; ');

test('a file with errors: its diagnostics are published, located, with codes and suggestions', async () => {
  const next = nextDiagnostics();
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'dnn', version: 1, text: WITH_ERRORS } });
  const { diagnostics, version } = await next;
  assert.is(version, 1);
  assert.is(diagnostics.length, 1, summary(diagnostics));
  const [unknown] = diagnostics;
  assert.is(unknown.code, 'DNN0004');
  // `global_average_pooling` on line 4 (0-based 3), where it is written
  const line4 = WITH_ERRORS.split('\n')[3];
  const at = line4.indexOf('global_average_pooling');
  assert.equal(unknown.range, { start: { line: 3, character: at }, end: { line: 3, character: at + 'global_average_pooling'.length } });
  assert.match(text(unknown.message), "did you mean 'global_avgpool'");
  assert.is(unknown.severity, 1);
  assert.is(unknown.source, 'dnnc');
});

test('an edit is checked again: an unknown train field, with its fix', async () => {
  const next = nextDiagnostics();
  const edited = WITH_ERRORS.replace('|> global_average_pooling ', '');
  await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
  const { diagnostics, version } = await next;
  assert.is(version, 2);
  const codes = diagnostics.map((d) => d.code);
  assert.ok(codes.includes('DNN0040'), summary(diagnostics));
  const field = diagnostics.find((d) => d.code === 'DNN0040')!;
  assert.equal(field.range.start, { line: 9, character: 2 });
  assert.match(text(field.message), 'batch');
  assert.match(text(field.message), 'help:');
});

test('fixing the file clears its diagnostics', async () => {
  const next = nextDiagnostics();
  await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 3 }, contentChanges: [{ text: FIXED }] });
  const { diagnostics, version } = await next;
  assert.is(version, 3);
  assert.equal(diagnostics, []);
});

async function complete(line: number, character: number): Promise<CompletionItem[]> {
  const r = (await connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } })) as CompletionItem[] | CompletionList | null;
  return Array.isArray(r) ? r : (r?.items ?? []);
}

test('completion offers layer names from the registry, and optimizers only in their field', async () => {
  // `y = x |> dense(16) |> relu |> dense(8)`, after `|> ` of the last stage
  const line = FIXED.split('\n')[3];
  const items = await complete(3, line.lastIndexOf('dense'));
  const labels = items.map((i) => i.label);
  for (const layer of ['dense', 'conv2d', 'lstm', 'gru', 'attention', 'global_avgpool', 'embedding']) assert.ok(labels.includes(layer), `${layer} is offered`);
  assert.not.ok(labels.includes('adam'), 'optimizers are not offered in a model');
  assert.match(items.find((i) => i.label === 'dense')!.detail ?? '', 'dense(x, units');

  const change = nextDiagnostics();
  const text = FIXED.replace('batch = 64', 'batch = 64\n  optimizer = ad');
  await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 4 }, contentChanges: [{ text }] });
  await change;
  const inField = await complete(10, '  optimizer = ad'.length);
  const sorted = [...inField].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
  assert.equal(sorted.slice(0, 7).map((i) => i.label).sort(), ['adagrad', 'adam', 'adamw', 'momentum', 'nesterov', 'rmsprop', 'sgd']);
});

test('hover shows the signature of a built-in', async () => {
  const line = FIXED.split('\n')[3];
  const hover = await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 3, character: line.indexOf('dense') + 2 } });
  const value = hover && typeof hover.contents === 'object' && 'value' in hover.contents ? hover.contents.value : '';
  assert.match(value, 'dense(x, units, activation?');
});

test.run();
