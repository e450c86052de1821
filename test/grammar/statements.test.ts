/** Statements, items, types, and the spans the AST carries. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '../../grammar/index.js';
import { spanText } from '../../grammar/print-ast.js';
import type { Program } from '../../grammar/ast.js';
import { stmts, sx } from './helpers.js';

function ok(source: string): Program {
  const { program, diagnostics } = parse(source, 't.dnn');
  assert.equal(diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`), []);
  return program;
}

test('statements on one line need no separator', () => {
  const body = stmts('input obs: f32[B, 4]  output logits: f32[B, 2]  logits = obs |> dense(2)');
  assert.equal(body.map((s) => s.kind), ['Input', 'Output', 'Binding']);
});

test('semicolons may separate statements and items', () => {
  const p = ok('train A { data = mnist(split: train); loss = mse(recon, image); ; optimizer = adam(lr: 1e-3) };\nparam D = 1;');
  assert.equal(p.items.map((i) => i.kind), ['Train', 'Param']);
});

test('field, train input and binding with on', () => {
  const p = ok('train T on P, Q { label : i32[B]  clip: norm(1.0)  optimizer = adam(lr: 1) on P, Q }');
  const t = p.items[0];
  assert.is(t.kind, 'Train');
  if (t.kind !== 'Train') return;
  assert.equal(t.on?.map((n) => n.name), ['P', 'Q']);
  const [label, clip, opt] = t.body;
  assert.is(label.kind, 'TrainInput');
  if (label.kind === 'TrainInput') assert.is(label.type.dtype, 'i32');
  assert.is(clip.kind, 'Binding');
  if (clip.kind === 'Binding') assert.is(sx(clip.value), 'norm(1)');
  assert.is(opt.kind, 'Binding');
  if (opt.kind === 'Binding') assert.equal(opt.on?.map((n) => n.name), ['P', 'Q']);
});

test('repeat, return, step and sync', () => {
  const [rep, ret] = stmts('repeat L as layers { h = f(h) }  return h');
  assert.is(rep.kind, 'Repeat');
  if (rep.kind === 'Repeat') {
    assert.is(rep.as?.name, 'layers');
    assert.is(rep.body.length, 1);
  }
  assert.is(ret.kind, 'Return');
  const p = ok('train G { step d { loss = 1 } sync A -> B every 500 steps  sync A -> B every 1 steps tau: 0.005  sync C -> D tau 0.5  sync E -> F }');
  const t = p.items[0];
  if (t.kind !== 'Train') return assert.unreachable();
  assert.equal(t.body.map((s) => s.kind), ['Step', 'Sync', 'Sync', 'Sync', 'Sync']);
  const s = t.body.slice(1).map((x) => (x.kind === 'Sync' ? [x.from.name, x.to.name, x.every && sx(x.every), x.tau && sx(x.tau)] : []));
  assert.equal(s, [
    ['A', 'B', '500', undefined],
    ['A', 'B', '1', '0.005'],
    ['C', 'D', undefined, '0.5'],
    ['E', 'F', undefined, undefined],
  ]);
});

test('block signatures: tensor and scalar types, defaults, return type', () => {
  const p = ok('block B(x: f32[B, T, D * 4], mask: bool[B, T], heads: int, causal: bool = false, rate: float = 0.1, mode: str = "a") -> f32[] { return x }');
  const b = p.items[0];
  if (b.kind !== 'Block') return assert.unreachable();
  assert.equal(
    b.params.map((q) => `${q.name.name}:${q.type.kind === 'TensorType' ? `${q.type.dtype}[${q.type.dims.map(sx).join(',')}]` : q.type.name}${q.default ? `=${sx(q.default)}` : ''}`),
    ['x:f32[B,T,(* D 4)]', 'mask:bool[B,T]', 'heads:int', 'causal:bool=false', 'rate:float=0.1', 'mode:str="a"'],
  );
  assert.is(b.returns?.kind, 'TensorType');
  if (b.returns?.kind === 'TensorType') assert.equal(b.returns.dims, []);
  const noReturnType = ok('block C() { return 1 }').items[0];
  if (noReturnType.kind === 'Block') assert.is(noReturnType.returns, undefined);
});

test('top-level param and const with several entries', () => {
  const p = ok('param D = 128, L = 4\nconst EPS = 1e-5');
  assert.equal(p.items.map((i) => (i.kind === 'Param' || i.kind === 'Const' ? `${i.kind}:${i.entries.map((e) => e.name.name).join(',')}` : i.kind)), ['Param:D,L', 'Const:EPS']);
});

test('keywords do not swallow longer identifiers; soft keywords are names', () => {
  const body = stmts('input_size = 1  steps2 = 2  model_a = 3  returns = 4  train = 5  step = 6  y = train + step + model + input');
  assert.equal(body.map((s) => (s.kind === 'Binding' ? s.target.name : s.kind)), ['input_size', 'steps2', 'model_a', 'returns', 'train', 'step', 'y']);
});

test('spans: 1-based lines and columns, end exclusive, 0-based offsets', () => {
  const src = 'model Net {\n  input x: f32[B, 4]\n  y = x |> dense(10)\n    |> relu\n}\n';
  const p = ok(src);
  const m = p.items[0];
  if (m.kind !== 'Model') return assert.unreachable();
  assert.is(spanText(m.span), '1:1-5:2');
  assert.is(spanText(m.name.span), '1:7-1:10');
  assert.is(m.name.span.offset, 6);
  assert.is(m.name.span.endOffset, 9);
  const [inp, bind] = m.body;
  assert.is(spanText(inp.span), '2:3-2:21');
  if (inp.kind !== 'Input') return assert.unreachable();
  assert.is(spanText(inp.type.span), '2:12-2:21');
  assert.is(spanText(inp.type.dims[1].span), '2:19-2:20');
  if (bind.kind !== 'Binding') return assert.unreachable();
  assert.is(spanText(bind.span), '3:3-4:12');
  const v = bind.value;
  if (v.kind !== 'Pipe') return assert.unreachable();
  assert.is(spanText(v.span), '3:7-4:12');
  assert.is(spanText(v.target.span), '4:8-4:12');
  if (v.input.kind !== 'Pipe') return assert.unreachable();
  assert.is(spanText(v.input.target.span), '3:12-3:21');
  assert.is(p.span.endOffset, src.length);
});

test('spans of binary, call, index, member and parenthesized expressions', () => {
  const p = ok('model M {\n  y = (a + b) * f(x, k: 2)[0].w\n}');
  const m = p.items[0];
  if (m.kind !== 'Model' || m.body[0].kind !== 'Binding') return assert.unreachable();
  const v = m.body[0].value;
  if (v.kind !== 'Binary') return assert.unreachable();
  assert.is(spanText(v.span), '2:7-2:32');
  assert.is(spanText(v.opSpan), '2:15-2:16');
  assert.is(spanText(v.left.span), '2:7-2:14', 'parentheses belong to the span');
  const r = v.right;
  if (r.kind !== 'Member' || r.object.kind !== 'Index' || r.object.target.kind !== 'Call') return assert.unreachable();
  assert.is(spanText(r.span), '2:17-2:32');
  assert.is(spanText(r.object.span), '2:17-2:30');
  assert.is(spanText(r.object.target.span), '2:17-2:27');
  assert.is(spanText(r.object.target.args[1].span), '2:22-2:26');
  assert.is(spanText(r.property.span), '2:31-2:32');
});

test.run();
