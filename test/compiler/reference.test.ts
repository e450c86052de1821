/**
 * docs/reference.md is generated from the registries (compiler/reference):
 * it must be current (UPDATE_GOLDEN=1 or `npm run reference` rewrites it),
 * and the registries must be complete enough to generate it: every
 * built-in's doc line is a signature that matches its parameters, every
 * layer states its shapes, every built-in data set has a schema, every alias
 * leads somewhere.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileSource } from '../../compiler/compile.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { languageBuiltins as builtins } from '../../compiler/lower/builtins/index.js';
import { dataFields } from '../../compiler/lower/builtins/data-schemas.js';
import { renderReference, SECTIONS, signatureOf } from '../../compiler/reference/render.js';
import { parseSignature } from '../../compiler/reference/signature.js';
import { ALIASES } from '../../compiler/suggest.js';

const path = 'docs/reference.md';
const rendered = renderReference();

/** The text of one `### name` entry of the rendered reference. */
function entry(name: string): string {
  const start = rendered.indexOf(`\n### ${name}\n`);
  assert.ok(start >= 0, `no entry for ${name}`);
  const end = rendered.indexOf('\n##', start + 5);
  return rendered.slice(start, end < 0 ? undefined : end);
}

test('docs/reference.md is what the registries generate', () => {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, rendered);
  const onDisk = readFileSync(path, 'utf8');
  assert.ok(onDisk === rendered, `${path} is out of date: run \`npm run reference\` and commit it`);
});

test('every built-in is in a section of the reference', () => {
  const kinds = new Set(SECTIONS.map((s) => s.kind));
  for (const b of builtins.values()) {
    assert.ok(kinds.has(b.kind), `${b.name}: no section for kind ${b.kind}`);
    entry(b.name);
  }
});

test("every built-in's doc line is a signature matching its parameters", () => {
  for (const b of builtins.values()) {
    const sig = signatureOf(b);
    assert.equal(sig.args.map((a) => a.name), b.params.map((p) => p.name), `${b.name}: the signature's arguments`);
    assert.is(sig.variadic, !!b.variadic, `${b.name}: variadic`);
    for (const a of sig.args) {
      const p = b.params.find((q) => q.name === a.name)!;
      if (a.optional) assert.ok(p.optional, `${b.name}(${a.name}): the doc gives a default but the parameter is required`);
      if (p.optional && !a.optional) assert.ok(a.values !== undefined, `${b.name}(${a.name}): optional, but the doc gives neither a default nor \`?\``);
    }
    assert.ok(sig.description.length > 0, `${b.name}: the doc line says what it does`);
  }
});

test('signatures parse defaults, value lists, optional and variadic arguments', () => {
  const sig = parseSignature('f', 'f(x, k = 1, split: a|b, mode = [1, 2], name?, d1, d2, ...): does it');
  assert.equal(sig, {
    call: 'f(x, k = 1, split: a|b, mode = [1, 2], name?, d1, d2, ...)',
    args: [
      { name: 'x', optional: false },
      { name: 'k', optional: true, default: '1' },
      { name: 'split', optional: false, values: 'a|b' },
      { name: 'mode', optional: true, default: '[1, 2]' },
      { name: 'name', optional: true },
    ],
    variadic: true,
    description: 'does it',
  });
  assert.is(parseSignature('f', 'g(x): another name'), undefined);
});

test('every layer states its shapes; every built-in data set but csv has a schema', () => {
  for (const b of builtins.values()) {
    if (b.kind === 'layer') assert.ok(b.reference?.shapes, `${b.name}: reference.shapes`);
    if (b.kind === 'data' && b.name !== 'csv') assert.ok(dataFields({ name: b.name, args: {} }), `${b.name}: a schema in data-schemas.ts`);
  }
});

test('every layer that creates weights in the examples and docs lists them, with their shapes', () => {
  const sources = readdirSync('examples')
    .map((d) => join('examples', d, `${d}.dnn`))
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'));
  const doc = readFileSync('docs/language.md', 'utf8');
  sources.push(...[...doc.matchAll(/^```dnn\n([\s\S]*?)^```/gm)].map((m) => m[1]));
  const seen = new Set<string>();
  for (const source of sources) {
    const res = compileSource(source, 'example.dnn');
    for (const m of res.file?.models ?? [])
      for (const call of m.calls ?? []) {
        const owned = [...m.params, ...m.state].filter((t) => call.path !== undefined && t.path.startsWith(`${call.path}.`));
        if (owned.length === 0) continue;
        seen.add(call.kind);
        const listed = builtins.get(call.kind)?.reference?.weights ?? [];
        assert.ok(listed.length > 0, `${call.kind} creates ${owned.map((t) => t.path).join(', ')} but its reference lists no weights`);
        for (const t of owned) {
          // recurrent layers keep each layer and direction under .l0, .l1, .reverse
          const name = t.path.slice(call.path!.length + 1).replace(/^((l\d+|reverse)\.)+/, '');
          assert.ok(listed.some((w) => w.includes(name)), `${call.kind}: the weight '${name}' (${t.path}) is not in its reference`);
        }
      }
  }
  for (const kind of ['dense', 'conv2d', 'batchnorm', 'embedding', 'lstm', 'layernorm', 'conv2d_transpose', 'attention']) assert.ok(seen.has(kind), `no example or doc program uses ${kind}`);
});

test('the conventions that differ between frameworks are stated where they apply', () => {
  assert.match(entry('lstm'), 'the forget gate adds 1 inside the sigmoid');
  assert.match(entry('gru'), 'reset_after form with the gate order z, r, n');
  assert.match(entry('batchnorm'), "momentum has Keras's meaning");
  assert.match(entry('gelu'), 'the tanh form');
  assert.match(entry('avgpool'), 'padding is not counted');
  assert.match(entry('conv2d_transpose'), '[in, out / groups, KH, KW]');
  assert.match(entry('conv2d'), '[filters, C / groups, KH, KW]');
  assert.match(entry('dense'), 'weight [in, units]');
  assert.match(entry('embedding'), 'weight [vocab, dim]');
});

test('every alias names a built-in, an operator or how to write it', () => {
  for (const [name, alias] of Object.entries(ALIASES)) {
    if ('names' in alias) assert.ok(alias.names.some(([n]) => builtins.has(n)), `alias ${name}: none of ${alias.names.map(([n]) => n).join(', ')} is a built-in`);
    assert.not.ok(builtins.has(name), `alias ${name} is itself a built-in`);
  }
  assert.match(rendered, '| `bce` | [binary_cross_entropy](#binary_cross_entropy)');
  assert.match(rendered, '| `global_average_pooling` | [global_avgpool](#global_avgpool)');
  assert.match(rendered, '| `swish` | [silu](#silu)');
});

test.run();
