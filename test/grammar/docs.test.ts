/**
 * The examples in docs/language.md: every ```dnn block is a complete file
 * that parses without a diagnostic; every ```dnn-fragment block parses as
 * the body of a model.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../../grammar/index.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'language.md'), 'utf8');
const blocks = [...doc.matchAll(/^```(dnn|dnn-fragment)\n([\s\S]*?)^```/gm)].map((m) => ({ kind: m[1], code: m[2], line: doc.slice(0, m.index).split('\n').length }));

test('the language doc has examples', () => {
  assert.ok(blocks.filter((b) => b.kind === 'dnn').length >= 8);
});

for (const b of blocks) {
  test(`docs/language.md:${b.line} (${b.kind})`, () => {
    const source = b.kind === 'dnn' ? b.code : `model Fragment {\n${b.code}}\n`;
    const { program, diagnostics } = parse(source, `language.md:${b.line}`);
    assert.equal(diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
    assert.ok(program.items.length > 0);
  });
}

test.run();
