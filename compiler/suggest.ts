/**
 * "Did you mean" for an unknown callee: the whole catalog of built-ins (and
 * the file's blocks), searched by the names other frameworks use for the
 * same thing (bce, global_average_pooling, swish, greater, ...) and by
 * spelling. An alias is offered only when its target exists: a built-in of
 * that name, or an operator the parser accepts. Optimizers, schedules, data
 * sets and clipping rules are offered only inside train-block fields, where
 * they can be used (so `std` in a model does not suggest `sgd`).
 */
import { parse } from '../grammar/index.js';
import { didYouMean } from './diagnostics.js';
import type { BuiltinKind } from './lower/builtin.js';

type Alias =
  /** built-in names, best first, each with when to pick it */
  | { names: [string, string?][] }
  /** an operator of the language */
  | { operator: string; example: string }
  /** no direct equivalent: how to write it */
  | { text: string };

const names = (...list: (string | [string, string])[]): Alias => ({ names: list.map((n) => (typeof n === 'string' ? [n] : n)) });
const op = (operator: string, example: string): Alias => ({ operator, example });

/** Lower-case names from other frameworks -> what dnnc calls them. */
export const ALIASES: Record<string, Alias> = {
  // layers
  linear: names('dense'),
  fully_connected: names('dense'),
  fc: names('dense'),
  conv: names('conv2d'),
  convolution2d: names('conv2d'),
  conv2d_layer: names('conv2d'),
  deconv: names('conv2d_transpose'),
  deconv2d: names('conv2d_transpose'),
  conv_transpose: names('conv2d_transpose'),
  convtranspose2d: names('conv2d_transpose'),
  conv2dtranspose: names('conv2d_transpose'),
  max_pooling: names('maxpool'),
  max_pool: names('maxpool'),
  max_pool2d: names('maxpool'),
  maxpool2d: names('maxpool'),
  maxpooling2d: names('maxpool'),
  max_pooling2d: names('maxpool'),
  average_pooling: names('avgpool'),
  avg_pool: names('avgpool'),
  avg_pool2d: names('avgpool'),
  avgpool2d: names('avgpool'),
  averagepooling2d: names('avgpool'),
  average_pooling2d: names('avgpool'),
  global_average_pooling: names('global_avgpool'),
  global_average_pooling2d: names('global_avgpool'),
  globalaveragepooling2d: names('global_avgpool'),
  global_avg_pool: names('global_avgpool'),
  adaptive_avg_pool2d: names('global_avgpool'),
  gap: names('global_avgpool'),
  batch_norm: names('batchnorm'),
  batch_normalization: names('batchnorm'),
  batchnormalization: names('batchnorm'),
  batchnorm2d: names('batchnorm'),
  bn: names('batchnorm'),
  layer_norm: names('layernorm'),
  layer_normalization: names('layernorm'),
  layernormalization: names('layernorm'),
  rms_norm: names('rmsnorm'),
  embed: names('embedding'),
  embeddings: names('embedding'),
  multihead_attention: names('attention'),
  multi_head_attention: names('attention'),
  multiheadattention: names('attention'),
  mha: names('attention'),
  self_attention: names('attention'),
  simple_rnn: names('rnn'),
  simplernn: names('rnn'),
  upsampling2d: names('upsample'),
  upsampling: names('upsample'),
  interpolate: names('upsample'),
  resize: names('upsample'),
  positional_encoding: names('positional'),
  random_normal: names('noise'),
  randn: names('noise'),
  random_uniform: names('uniform_noise'),
  rand: names('uniform_noise'),
  detach: names('stop_gradient'),
  // activations and math
  swish: names('silu'),
  leakyrelu: names('leaky_relu'),
  logsoftmax: names('log_softmax'),
  reduce_sum: names('sum'),
  reduce_mean: names('mean'),
  average: names('mean'),
  avg: names('mean'),
  reduce_max: names('max'),
  amax: names('max'),
  concatenate: names('concat'),
  cat: names('concat'),
  permute: names('transpose'),
  onehot: names('one_hot'),
  range: names('arange'),
  iota: names('arange'),
  astype: names('cast'),
  std: { text: 'there is no std(); write sqrt(mean(square(x - mean(x, axis: -1, keepdims: true)), axis: -1))' },
  var: { text: 'there is no var(); write mean(square(x - mean(x, axis: -1, keepdims: true)), axis: -1)' },
  variance: { text: 'there is no variance(); write mean(square(x - mean(x, axis: -1, keepdims: true)), axis: -1)' },
  min: { text: 'minimum(a, b) is the elementwise minimum; a reduction to the minimum is -max(-x)' },
  reduce_min: { text: 'a reduction to the minimum is -max(-x)' },
  matmul: op('@', 'a @ b'),
  add: op('+', 'a + b'),
  subtract: op('-', 'a - b'),
  sub: op('-', 'a - b'),
  multiply: op('*', 'a * b'),
  mul: op('*', 'a * b'),
  divide: op('/', 'a / b'),
  div: op('/', 'a / b'),
  greater: op('>', 'a > b'),
  gt: op('>', 'a > b'),
  less: op('<', 'a < b'),
  lt: op('<', 'a < b'),
  greater_equal: op('>=', 'a >= b'),
  ge: op('>=', 'a >= b'),
  less_equal: op('<=', 'a <= b'),
  le: op('<=', 'a <= b'),
  equal: op('==', 'a == b'),
  eq: op('==', 'a == b'),
  not_equal: op('!=', 'a != b'),
  ne: op('!=', 'a != b'),
  logical_and: op('and', 'a and b'),
  logical_or: op('or', 'a or b'),
  logical_not: op('not', 'not a'),
  // losses and metrics
  bce: names(['binary_cross_entropy', 'on probabilities'], ['bce_with_logits', 'on logits']),
  binary_crossentropy: names(['binary_cross_entropy', 'on probabilities'], ['bce_with_logits', 'on logits']),
  bce_loss: names(['binary_cross_entropy', 'on probabilities'], ['bce_with_logits', 'on logits']),
  bcewithlogits: names('bce_with_logits'),
  bcewithlogitsloss: names('bce_with_logits'),
  sigmoid_cross_entropy: names('bce_with_logits'),
  categorical_crossentropy: names('cross_entropy'),
  sparse_categorical_crossentropy: names('cross_entropy'),
  softmax_cross_entropy: names('cross_entropy'),
  crossentropy: names('cross_entropy'),
  cross_entropy_loss: names('cross_entropy'),
  crossentropyloss: names('cross_entropy'),
  ce: names('cross_entropy'),
  nll: names('cross_entropy'),
  nll_loss: names('cross_entropy'),
  mean_squared_error: names('mse'),
  mse_loss: names('mse'),
  l2_loss: names('mse'),
  mean_absolute_error: names('mae'),
  l1_loss: names('mae'),
  smooth_l1: names('huber'),
  smooth_l1_loss: names('huber'),
  huber_loss: names('huber'),
  kl_divergence: names('kl_div'),
  kld: names('kl_div'),
  kullback_leibler: names('kl_div'),
  acc: names('accuracy'),
  sparse_categorical_accuracy: names('accuracy'),
  categorical_accuracy: names('accuracy'),
  top_k_accuracy: names('accuracy'),
  // optimizers, schedules, clipping, data
  adam_w: names('adamw'),
  rms_prop: names('rmsprop'),
  ada_grad: names('adagrad'),
  cosine_annealing: names('cosine'),
  cosine_decay: names('cosine'),
  cosineannealinglr: names('cosine'),
  exponential_decay: names('exponential'),
  exponentiallr: names('exponential'),
  step_lr: names('step'),
  steplr: names('step'),
  linear_warmup: names('warmup'),
  clip_by_global_norm: names('norm'),
  clip_grad_norm: names('norm'),
  read_csv: names('csv'),
};

/** Kinds that only make sense as the value of a train-block field. */
const TRAIN_ONLY: ReadonlySet<BuiltinKind> = new Set(['optimizer', 'schedule', 'data', 'clip']);

const operatorCache = new Map<string, boolean>();
/** Whether the language has this operator: the parser accepts it between two names (or before one). */
export function operatorAvailable(operator: string): boolean {
  let ok = operatorCache.get(operator);
  if (ok === undefined) {
    const expr = operator === 'not' ? 'not a' : `a ${operator} b`;
    ok = parse(`model M { y = ${expr} }`, 'probe.dnn').diagnostics.length === 0;
    operatorCache.set(operator, ok);
  }
  return ok;
}

export interface CalleeCatalog {
  /** built-in name -> its kind */
  builtins: ReadonlyMap<string, { kind: BuiltinKind }>;
  /** the file's blocks */
  blocks: Iterable<string>;
  /** true while lowering the value of a train-block field (optimizer = ..., data = ...) */
  inTrainField: boolean;
}

/** The hint for an unknown callee, "; did you mean 'x'?" (or how to write it), or ''. */
export function suggestCallee(name: string, catalog: CalleeCatalog): string {
  const usable = (n: string) => {
    const b = catalog.builtins.get(n);
    return b !== undefined && (catalog.inTrainField || !TRAIN_ONLY.has(b.kind));
  };
  const spelling = (filter: (n: string) => boolean) => didYouMean(name, [...[...catalog.builtins.keys()].filter(filter), ...catalog.blocks]);
  if (catalog.inTrainField) {
    const near = didYouMean(name, [...catalog.builtins.keys()].filter((n) => TRAIN_ONLY.has(catalog.builtins.get(n)!.kind)));
    if (near) return near;
  }
  const alias = aliasHint(name, usable);
  return alias || spelling(usable);
}

/** The alias hint of a name, when its target exists; '' otherwise. */
export function aliasHint(name: string, exists: (builtin: string) => boolean): string {
  const key = name.toLowerCase();
  const alias = Object.prototype.hasOwnProperty.call(ALIASES, key) ? ALIASES[key] : undefined;
  if (!alias) return '';
  if ('text' in alias) return `; ${alias.text}`;
  if ('operator' in alias) return operatorAvailable(alias.operator) ? `; did you mean the operator '${alias.operator}' (${alias.example})?` : '';
  const found = alias.names.filter(([n]) => n !== name && exists(n));
  if (found.length === 0) return '';
  if (found.length === 1) return `; did you mean '${found[0][0]}'?`;
  return `; did you mean ${found.map(([n, when]) => `'${n}'${when ? ` (${when})` : ''}`).join(' or ')}?`;
}
