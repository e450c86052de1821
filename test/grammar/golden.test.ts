/**
 * Every example of the language (test/golden/grammar/*.dnn) parses without a
 * diagnostic, and its AST matches the golden file next to it (*.ast.json).
 * UPDATE_GOLDEN=1 rewrites the golden files; review the diff.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../../grammar/index.js';
import { printAst } from '../../grammar/print-ast.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'grammar');
const update = process.env.UPDATE_GOLDEN === '1';
const files = readdirSync(dir).filter((f) => f.endsWith('.dnn')).sort();

test('there are golden examples', () => {
  assert.ok(files.length >= 7, `found ${files.length}`);
});

for (const f of files) {
  test(`golden ${f}`, () => {
    const source = readFileSync(join(dir, f), 'utf8');
    const { program, diagnostics } = parse(source, f);
    assert.equal(diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
    const actual = printAst(program);
    const goldenPath = join(dir, f.replace(/\.dnn$/, '.ast.json'));
    if (update) {
      writeFileSync(goldenPath, actual);
      return;
    }
    assert.ok(existsSync(goldenPath), `missing ${goldenPath}; run with UPDATE_GOLDEN=1`);
    assert.fixture(actual, readFileSync(goldenPath, 'utf8'));
  });
}

test.run();
