/** Operator precedence, associativity and the shapes of expressions. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expr, sx } from './helpers.js';
import { parse } from '../../grammar/index.js';

const cases: [string, string][] = [
  ['a + b * c', '(+ a (* b c))'],
  ['a * b + c', '(+ (* a b) c)'],
  ['a - b - c', '(- (- a b) c)'],
  ['a / b * c', '(* (/ a b) c)'],
  ['a @ b + c', '(+ (@ a b) c)'],
  ['a + b @ c', '(+ a (@ b c))'],
  ['-x ** 2', '(- (** x 2))'],
  ['a ** b ** c', '(** a (** b c))'],
  ['2 ** -1', '(** 2 (- 1))'],
  ['-a * b', '(* (- a) b)'],
  ['- -a', '(- (- a))'],
  ['+a', '(+ a)'],
  ['(a + b) * c', '(* (+ a b) c)'],
  ['x |> f', '(|> x f())'],
  ['x |> f |> g(1, k: 2)', '(|> (|> x f()) g(1, k: 2))'],
  ['a + b |> f', '(|> (+ a b) f())'],
  ['(x |> f) + 1', '(+ (|> x f()) 1)'],
  ['x + (x |> layernorm |> attention(heads: 4))', '(+ x (|> (|> x layernorm()) attention(heads: 4)))'],
  ['f(x)[0]', 'f(x)[0]'],
  ['x[:, -1, :]', 'x[:, (- 1), :]'],
  ['x[1:]', 'x[1:]'],
  ['x[::2]', 'x[::2]'],
  ['x[1:5:2, :3]', 'x[1:5:2, :3]'],
  ['zeros[B, 32]', 'zeros[B, 32]'],
  ['data.image', 'data.image'],
  ['data.image.input', 'data.image.input'],
  ['a.b[0].c', 'a.b[0].c'],
  ['-mean(log_softmax(logits)[action] * ret)', '(- mean((* log_softmax(logits)[action] ret)))'],
  ['[-1, 1]', '[(- 1), 1]'],
  ['[]', '[]'],
  ['f()', 'f()'],
  ['true', 'true'],
  ['"file.csv"', '"file.csv"'],
  ['"a\\"b"', '"a\\"b"'],
  ['1e-3', '0.001'],
  ['2.5E+4', '25000'],
  ['mnist(split: train)', 'mnist(split: train)'],
  ['cosine(steps: 100, every: 2)', 'cosine(steps: 100, every: 2)'],
  ['a\n + b', '(+ a b)'],
  // comparisons bind more loosely than arithmetic and pipes; not > and > or
  ['a + 1 > b * 2', '(> (+ a 1) (* b 2))'],
  ['x |> f > 0', '(> (|> x f()) 0)'],
  ['a == b', '(== a b)'],
  ['a != b', '(!= a b)'],
  ['a <= b', '(<= a b)'],
  ['a >= -1', '(>= a (- 1))'],
  ['a < b and c > d', '(and (< a b) (> c d))'],
  ['a or b and c', '(or a (and b c))'],
  ['a and b or c', '(or (and a b) c)'],
  ['not a and b', '(and (not a) b)'],
  ['not a < b', '(not (< a b))'],
  ['not not a', '(not (not a))'],
  ['where(x > 0, x, 0)', 'where((> x 0), x, 0)'],
  ['f(k: a >= b)', 'f(k: (>= a b))'],
];

for (const [src, want] of cases) {
  test(`parses ${JSON.stringify(src)}`, () => {
    assert.is(sx(expr(src)), want);
  });
}

test('numbers know whether they were written as integers', () => {
  const e = expr('[128, 128.0, 1e3]');
  assert.is(e.kind, 'List');
  if (e.kind !== 'List') return;
  assert.equal(
    e.items.map((i) => (i.kind === 'Number' ? i.isInt : null)),
    [true, false, false],
  );
});

test('a bare pipe target is a Call with no args spanning the name', () => {
  const e = expr('x |> relu');
  assert.is(e.kind, 'Pipe');
  if (e.kind !== 'Pipe') return;
  assert.is(e.target.kind, 'Call');
  assert.equal(e.target.args, []);
  assert.equal(e.target.span, e.target.callee.span);
});

test("'x |> f + 1' is an error that suggests parentheses", () => {
  const { diagnostics } = parse('model M { y = x |> f + 1 }', 't.dnn');
  assert.is(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.is(d.code, 'DNN0002');
  assert.match(d.message, "the right side of '|>' must be a name or a call");
  assert.match(d.message, "'f + 1'");
  assert.match(d.help ?? '', '(x |> f) + 1');
  assert.is(d.span.col, 20);
});

test('comparisons do not chain: the error suggests and', () => {
  const { diagnostics } = parse('model M { y = 0 < x < 1 }', 't.dnn');
  assert.is(diagnostics.length, 1);
  const [d] = diagnostics;
  assert.is(d.code, 'DNN0002');
  assert.match(d.message, 'comparisons do not chain');
  assert.match(d.help ?? '', "'0 < x and x < 1'");
  assert.is(d.span.col, 21);
});

test('and, or and not are keywords, but still argument names', () => {
  assert.equal(parse('model M { y = f(or: 1, not: 2) }', 't.dnn').diagnostics, []);
  const { diagnostics } = parse('model M { and = 1 }', 't.dnn');
  assert.ok(diagnostics.length >= 1);
});

test('the right side of a pipe cannot be a literal', () => {
  const { diagnostics } = parse('model M { y = x |> 3 }', 't.dnn');
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0].message, "found '3'");
});

test('an empty index is an error', () => {
  const { diagnostics } = parse('model M { y = x[] }', 't.dnn');
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0].message, 'at least one item');
});

test.run();
