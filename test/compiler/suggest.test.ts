/**
 * "Did you mean" over the whole catalog: by spelling and by the names other
 * frameworks use, only ever naming something that exists, and never an
 * optimizer or data set inside a model.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { builtins } from '../../compiler/lower/builtins/index.js';
import { ALIASES, operatorAvailable } from '../../compiler/suggest.js';

const inModel = (expr: string) => {
  const r = compileSource(`model M { input x: f32[B, 1, 8, 8]  output y: f32[B, 2]  y = ${expr} }`, 'm.dnn');
  assert.is(r.diagnostics.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  return r.diagnostics[0].message;
};
const inTrain = (fields: string) => {
  const r = compileSource(`model M { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(2) }\ntrain M { label: i32[B]  ${fields} }`, 'm.dnn');
  assert.is(r.diagnostics.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  return r.diagnostics[0].message;
};

test('names from other frameworks find the dnnc name', () => {
  assert.is(inModel('x |> global_average_pooling |> dense(2)'), "unknown op or layer 'global_average_pooling'; did you mean 'global_avgpool'?");
  assert.is(inModel('x |> flatten |> dense(2) |> swish'), "unknown op or layer 'swish'; did you mean 'silu'?");
  assert.is(inModel('x |> flatten |> linear(2)'), "unknown op or layer 'linear'; did you mean 'dense'?");
  assert.is(inModel('x |> max_pool2d(2) |> flatten |> dense(2)'), "unknown op or layer 'max_pool2d'; did you mean 'maxpool'?");
  assert.is(inTrain('loss = bce(y, label)'), "unknown op or layer 'bce'; did you mean 'binary_cross_entropy' (on probabilities) or 'bce_with_logits' (on logits)?");
  assert.is(inTrain('loss = sparse_categorical_crossentropy(y, label)'), "unknown op or layer 'sparse_categorical_crossentropy'; did you mean 'cross_entropy'?");
  assert.is(inTrain('loss = cross_entropy(y, label)  schedule = cosine_annealing()'), "unknown op or layer 'cosine_annealing'; did you mean 'cosine'?");
});

test('an activation argument takes the aliases too', () => {
  assert.match(inModel('x |> flatten |> dense(2, activation: swish)'), "got 'swish'; did you mean 'silu'?");
});

test('std in a model is not sgd; in an optimizer field it is', () => {
  const m = inModel('x |> flatten |> dense(2) |> std');
  assert.not.match(m, 'sgd');
  assert.match(m, 'sqrt(mean(square(');
  assert.is(inTrain('loss = cross_entropy(y, label)  optimizer = std(lr: 0.1)'), "unknown op or layer 'std'; did you mean 'sgd'?");
  // and a data set is not offered in a model either
  assert.not.match(inModel('x |> flatten |> dense(2) |> mnis'), 'mnist');
});

test('greater: the comparison operator when the language has it, nothing misleading otherwise', () => {
  const m = inModel('greater(x, x) |> flatten |> dense(2)');
  if (operatorAvailable('>')) assert.match(m, "did you mean the operator '>' (a > b)?");
  else assert.is(m, "unknown op or layer 'greater'");
  assert.ok(operatorAvailable('@') && operatorAvailable('+'));
  assert.not.ok(operatorAvailable('=>'));
});

test('every alias points at built-ins that exist, and no alias hides a built-in', () => {
  for (const [from, alias] of Object.entries(ALIASES)) {
    assert.is(from, from.toLowerCase(), from);
    assert.not.ok(builtins.has(from), `'${from}' is a built-in: the alias would never be used`);
    if ('names' in alias) for (const [n] of alias.names) assert.ok(builtins.has(n), `${from} -> ${n}: no such built-in`);
  }
});

test.run();
