/** Lexer and syntax errors: codes, messages, locations, recovery, robustness. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '../../grammar/index.js';
import { getParser } from '../../grammar/parser.js';
import { MAX_SYNTAX_ERRORS } from '../../compiler/limits.js';

function diags(src: string): string[] {
  return parse(src, 't.dnn').diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`);
}

test('three independent syntax errors give exactly three diagnostics on the right lines', () => {
  const src = [
    'model LeNet {', //                               1
    '  input image: f32[B, 1, 28, 28]', //            2
    '  output logits: f32[B, 10]', //                 3
    '  h = image |> conv2d(filters: 6, kernel: 5', // 4  missing ')'
    '  g = h * * 2', //                               5  missing operand
    '  logits = g |> dense(10) |> relu', //           6
    '}', //                                           7
    'block Res(x: f32[B, C] -> f32[B, C] {', //       8  missing ')'
    '  return x', //                                  9
    '}', //                                           10
    'train LeNet {', //                               11
    '  loss = cross_entropy(logits, label)', //       12
    '}', //                                           13
  ].join('\n');
  const { diagnostics, program } = parse(src, 't.dnn');
  assert.equal(
    diagnostics.map((d) => [d.code, d.span.line]),
    [
      ['DNN0002', 4],
      ['DNN0002', 5],
      ['DNN0002', 8],
    ],
    diagnostics.map((d) => d.message).join('\n'),
  );
  assert.is(diagnostics[0].message, "expected ')' to close the call of 'conv2d', found 'g'");
  assert.is(diagnostics[1].message, "expected an expression after '*', found '*'");
  assert.is(diagnostics[2].message, "expected ')' to close the parameters of block 'Res', found '->'");
  // the parts that parsed are still there
  assert.equal(program.items.map((i) => i.kind), ['Model', 'Block', 'Train']);
});

test('messages name what was expected and show the offending text', () => {
  assert.equal(diags('model M { y = dense(x, 3\n output z: f32[B] }'), ["1:25 DNN0002 expected ')' to close the call of 'dense', found 'output'"]);
  assert.equal(diags('model M { y = a +\n}'), ["1:18 DNN0002 expected an expression after '+', found '}'"]);
  assert.equal(diags('model M { input x f32[B] }'), ["1:19 DNN0002 expected ':' after 'x', found 'f32'"]);
  assert.equal(diags('model M { input x: f32[B, 4 }'), ["1:29 DNN0002 expected ']' to close the shape of the 'f32' type, found '}'"]);
  assert.equal(diags('model M { y = x[0 }'), ["1:19 DNN0002 expected ']' to close the index of 'x', found '}'"]);
  assert.equal(diags('model M { y x }'), ["1:13 DNN0002 expected '=' or ':' after 'y', found 'x'"]);
  assert.equal(diags('model { }'), ["1:7 DNN0002 expected a name after 'model', found '{'"]);
  assert.equal(diags('model M { y = 1 '), ["1:16 DNN0002 expected '}' to close the body of model 'M', found the end of the file"]);
  assert.equal(diags('model M { + }'), ["1:11 DNN0002 expected a statement, found '+'"]);
  assert.equal(diags('foo\nmodel M { }'), ["1:1 DNN0002 expected 'model', 'block', 'train', 'param' or 'const' at the top level, found 'foo'"]);
  assert.equal(diags('block B(x: f32[B], k: ) { }'), ["1:23 DNN0002 expected a type such as 'f32[B, 10]' or 'int' after ':', found ')'"]);
});

test('a misspelled keyword does not swallow the rest of the body', () => {
  const { diagnostics, program } = parse('model M {\n  inptu x: f32[B]\n  outptu y: f32[B]\n  y = x |> relu\n}', 't.dnn');
  assert.equal(
    diagnostics.map((d) => [d.span.line, d.message, d.help]),
    [
      [2, "expected '=' or ':' after 'inptu', found 'x'", "Did you mean 'input'?"],
      [3, "expected '=' or ':' after 'outptu', found 'y'", "Did you mean 'output'?"],
    ],
  );
  const m = program.items[0];
  assert.ok(m.kind === 'Model' && m.body.some((s) => s.kind === 'Binding' && s.target.name === 'y'));
});

test('no ALL_CAPS token names or parser jargon in messages', () => {
  const bad = ['model M { y = dense(x, 3 output z: f32[B] }', 'model M { y = }', 'block (', 'train T on { }', 'model M { sync A B }', 'model M { repeat { } }'];
  for (const src of bad) {
    for (const m of diags(src)) {
      assert.not.match(m, /[A-Z][A-Z_]{3,}|Kw_|Identifier|LParen|RCurly|EOF|NoViable|Mismatch/, m);
    }
  }
});

test('junk between items is reported once and parsing resumes at the next item', () => {
  const { diagnostics, program } = parse('model A { }\nfoo bar baz\nmodel B { }\n} }\nmodel C { }', 't.dnn');
  assert.equal(diagnostics.map((d) => d.span.line), [2, 4]);
  assert.equal(program.items.map((i) => (i.kind === 'Model' ? i.name.name : '')), ['A', 'B', 'C']);
});

test('a bad character is DNN0001 and does not also produce a syntax error', () => {
  const { diagnostics } = parse('model M {\n  y = 3 $ 4\n}', 't.dnn');
  assert.equal(diagnostics.map((d) => [d.code, d.span.line, d.span.col, d.message]), [['DNN0001', 2, 9, "unexpected character '$'"]]);
});

test('unterminated strings and comments are lexer errors', () => {
  assert.equal(parse('model M { y = "abc\n }', 't.dnn').diagnostics[0]?.code, 'DNN0001');
  assert.equal(parse('model M { } /* not closed', 't.dnn').diagnostics[0]?.code, 'DNN0001');
});

test('comments and blank input', () => {
  assert.equal(diags(''), []);
  assert.equal(diags('// only a comment\n/* and\n a block */'), []);
  assert.equal(diags('model M { /* inline */ y = 1 // trailing\n }'), []);
});

// ---------------------------------------------------------------- fuzzing

/** mulberry32: a small seeded PRNG, so the fuzz cases are the same every run */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const soup = [
  'model', 'block', 'train', 'input', 'output', 'param', 'const', 'repeat', 'as', 'return', 'step', 'sync',
  'every', 'steps', 'tau', 'on', 'true', 'false', 'f32', 'f16', 'i32', 'bool', 'int', 'float', 'str',
  'x', 'dense', 'B', '1', '2.5', '1e-3', '"s"', '|>', '->', '+', '-', '*', '/', '@', '**', '=', ':', ',', '.',
  '(', ')', '[', ']', '{', '}', ';', '\n', '$', '"', '/*', '//', '#',
];

test('parse never throws on random token soup', () => {
  const next = rng(20240611);
  for (let i = 0; i < 400; i++) {
    const n = 1 + Math.floor(next() * 60);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) parts.push(soup[Math.floor(next() * soup.length)]);
    const src = parts.join(next() < 0.5 ? ' ' : '');
    let result;
    try {
      result = parse(src, 'fuzz.dnn');
    } catch (err) {
      assert.unreachable(`parse threw on ${JSON.stringify(src)}: ${String(err)}`);
      return;
    }
    for (const d of result.diagnostics) {
      assert.ok(d.code === 'DNN0001' || d.code === 'DNN0002', d.code);
      assert.not.match(d.message, 'internal parser error', `${JSON.stringify(src)}: ${d.message}`);
      assert.ok(Number.isFinite(d.span.line) && Number.isFinite(d.span.col), `bad span for ${JSON.stringify(src)}`);
    }
  }
});

test('parse never throws on mutated valid programs', () => {
  const base = 'model M {\n  input x: f32[B, 4]\n  output y: f32[B, 2]\n  y = x |> dense(8, init: zeros) |> relu |> dense(2)\n}\ntrain M { label: i32[B] loss = cross_entropy(y, label) optimizer = adam(lr: 1e-3) }\n';
  const next = rng(7);
  for (let i = 0; i < 300; i++) {
    const chars = [...base];
    const edits = 1 + Math.floor(next() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(next() * chars.length);
      const r = next();
      if (r < 0.4) chars.splice(at, 1);
      else if (r < 0.8) chars.splice(at, 0, soup[Math.floor(next() * soup.length)]);
      else [chars[at], chars[(at + 1) % chars.length]] = [chars[(at + 1) % chars.length], chars[at]];
    }
    const src = chars.join('');
    const { diagnostics } = parse(src, 'mut.dnn');
    for (const d of diagnostics) assert.not.match(d.message, 'internal parser error', `${JSON.stringify(src)}: ${d.message}`);
  }
});

test('a long run of junk ends the parse after MAX_SYNTAX_ERRORS recorded errors, with a diagnostic where it stopped; the parser is fine afterwards', () => {
  // campaign 20261214's "hang": `repeat` is a keyword, so each of 20,000 `repeat +` starts a statement
  // that fails, and the recovery recorded 20,002 errors (seconds of work) to report one line
  const junk = `train T on M {\n  unused = ${Array(20000).fill('repeat').join(' + ')}\n  loss = mean(y)\n}\n`;
  const { diagnostics, program } = parse(junk, 't.dnn');
  assert.ok(getParser().errors.length <= MAX_SYNTAX_ERRORS, `${getParser().errors.length} errors recorded`);
  const stopped = diagnostics.filter((d) => /parsing stopped here/.test(d.message));
  assert.is(stopped.length, 1);
  assert.is(stopped[0].span.line, 2);
  assert.ok(diagnostics.length <= 5, diagnostics.map((d) => d.message).join('\n'));
  assert.equal(program.items, []);
  // the parser is shared: the next parse is as if it were the first
  const good = 'model M {\n  input x: f32[B, 2]\n  output y: f32[B, 2]\n  y = x |> dense(2)\n}\n';
  const fresh = JSON.stringify(parse(good, 'g.dnn'));
  assert.equal(parse(good, 'g.dnn').diagnostics, []);
  parse(junk, 't.dnn');
  assert.is(JSON.stringify(parse(good, 'g.dnn')), fresh);
});

test.run();
