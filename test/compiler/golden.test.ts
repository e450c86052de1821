/**
 * Golden files: test/golden/diagnostics/*.dnn -> the exact diagnostics text
 * (*.txt); test/golden/ir/*.dnn -> the optimized predict and train graphs
 * (*.ir). UPDATE_GOLDEN=1 rewrites the expected files; read the diff.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { formatDiagnostic, formatDiagnostics } from '../../compiler/diagnostics.js';

const root = 'test/golden';
const update = process.env.UPDATE_GOLDEN === '1';

function golden(path: string, actual: string) {
  if (update || !existsSync(path)) {
    if (!update) throw new Error(`missing golden file ${path} (run with UPDATE_GOLDEN=1 to create it)`);
    writeFileSync(path, actual);
    return;
  }
  assert.fixture(actual, readFileSync(path, 'utf8'));
}

for (const f of readdirSync(join(root, 'diagnostics')).filter((f) => f.endsWith('.dnn')).sort()) {
  test(`diagnostics: ${f}`, () => {
    const file = `test/golden/diagnostics/${f}`;
    const res = compileSource(readFileSync(file, 'utf8'), file, { verify: true });
    assert.ok(res.diagnostics.length > 0, 'a golden diagnostics file must produce diagnostics');
    assert.not.ok(res.file);
    golden(file.replace(/\.dnn$/, '.txt'), formatDiagnostics(res.diagnostics, res.sources) + '\n');
  });
}

for (const f of readdirSync(join(root, 'ir')).filter((f) => f.endsWith('.dnn')).sort()) {
  test(`ir: ${f}`, () => {
    const file = `test/golden/ir/${f}`;
    const res = compileSource(readFileSync(file, 'utf8'), file, { verify: true });
    assert.equal(res.diagnostics.map((d) => formatDiagnostic(d, res.sources)), []);
    const text = [res.stages.optimized, res.stages.train].filter(Boolean).join('\n\n') + '\n';
    golden(file.replace(/\.dnn$/, '.ir'), text);
  });
}

test('three independent mistakes give three located diagnostics', () => {
  const file = 'test/golden/diagnostics/three-mistakes.dnn';
  const res = compileSource(readFileSync(file, 'utf8'), file);
  assert.equal(
    res.diagnostics.map((d) => `${d.span.line}:${d.code}`),
    ['5:DNN0004', '6:DNN0017', '7:DNN0007'],
  );
});

test.run();
