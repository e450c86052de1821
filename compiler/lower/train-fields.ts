/**
 * The fields a train block accepts, what each one does (the reference is
 * generated from this table), and what a binding that is none of them most
 * likely meant. A train block may also bind local values (`z = noise(B, 64)`)
 * that its fields use; a binding that is neither a field nor used by the
 * block would do nothing, so it is an error (DNN0040), never ignored.
 */
import type * as A from '../../grammar/ast.js';
import { didYouMean } from '../diagnostics.js';

export const TRAIN_FIELDS = ['data', 'validate', 'test', 'loss', 'optimizer', 'schedule', 'batch', 'epochs', 'metrics', 'clip', 'seed'] as const;
export type TrainField = (typeof TRAIN_FIELDS)[number];

/** One line per field for the reference: what it takes, its default, what it does. */
export const TRAIN_FIELD_DOCS: Record<TrainField, { value: string; default: string; effect: string }> = {
  data: { value: 'a data set, e.g. `mnist(split: train)`', default: 'none (train from TypeScript with `fit`)', effect: 'the samples `dnnc train` trains on; `data.field` names one of its fields' },
  validate: { value: 'a data set', default: 'the validation split of `data` when it is a built-in set', effect: 'evaluated after every epoch (`val_` metrics); model choices are made on it' },
  test: { value: 'a data set', default: 'the test split of `data` when it is a built-in set', effect: 'evaluated once at the end of `dnnc train` and reported as the final metrics' },
  loss: { value: 'a scalar f32 expression', default: 'required', effect: 'what the optimizer minimises' },
  optimizer: { value: 'an optimizer, e.g. `adam(lr: 1e-3)`; `... on Model` in steps', default: '`adam(lr: 1e-3)`', effect: 'how gradients update the parameters' },
  schedule: { value: 'a learning-rate schedule, e.g. `cosine(warmup: 100)`', default: '`constant()`', effect: "the learning rate per step, as a function of the optimizer's lr" },
  batch: { value: 'a positive integer', default: '32', effect: 'samples per training step (and per evaluation batch); `dnnc train --batch` overrides it' },
  epochs: { value: 'a positive integer', default: '1', effect: 'passes over `data`; `dnnc train --epochs` overrides it' },
  metrics: { value: 'a metric or a list of them, e.g. `[accuracy(logits, label)]`', default: 'none', effect: 'reported beside the loss for training, validation and test' },
  clip: { value: '`norm(max)` or a number', default: 'none', effect: 'gradients are scaled down so that their global norm is at most max' },
  seed: { value: 'a non-negative integer', default: '0 (`dnnc train --seed` overrides it)', effect: 'initial weights, shuffling, dropout and noise draws' },
};

/** several names that mean one thing: the same entry for each */
function aliases(names: string[], entry: { field?: TrainField; help: string }): Record<string, { field?: TrainField; help: string }> {
  return Object.fromEntries(names.map((n) => [n, entry]));
}

/** Names other frameworks use, and what they are in a dnnc train block. */
const MISNOMERS: Record<string, { field?: TrainField; help: string }> = {
  ...aliases(['batch_size', 'batchsize', 'minibatch', 'bs'], { field: 'batch', help: 'the batch size is `batch = N`' }),
  ...aliases(['epoch', 'num_epochs', 'n_epochs', 'max_epochs'], { field: 'epochs', help: 'the number of passes is `epochs = N`' }),
  ...aliases(['lr', 'learning_rate'], { help: 'the learning rate is an argument of the optimizer: `optimizer = adam(lr: 0.001)`' }),
  ...aliases(['momentum'], { help: 'momentum is an argument of the optimizer: `optimizer = sgd(lr: 0.01, momentum: 0.9)`' }),
  ...aliases(['weight_decay'], { help: 'weight decay is an argument of the optimizer: `optimizer = adamw(weight_decay: 0.01)`' }),
  ...aliases(['optim'], { field: 'optimizer', help: 'the optimizer is `optimizer = adam(lr: 1e-3)`' }),
  ...aliases(['scheduler', 'lr_schedule', 'lr_scheduler'], { field: 'schedule', help: 'the learning-rate schedule is `schedule = cosine(warmup: 100)`' }),
  ...aliases(['validation', 'validation_data', 'val', 'val_data'], { field: 'validate', help: 'the validation set is `validate = mnist(split: validation)`' }),
  ...aliases(['train_data', 'dataset'], { field: 'data', help: 'the training set is `data = mnist(split: train)`' }),
  ...aliases(['test_data'], { field: 'test', help: 'the test set is `test = mnist(split: test)`' }),
  ...aliases(['metric'], { field: 'metrics', help: 'metrics are `metrics = [accuracy(logits, label)]`' }),
  ...aliases(['criterion', 'objective'], { field: 'loss', help: 'the loss is `loss = cross_entropy(logits, label)`' }),
  ...aliases(['clip_norm', 'grad_clip', 'gradient_clip', 'clipnorm'], { field: 'clip', help: 'gradient clipping is `clip = norm(1.0)`' }),
  ...aliases(['random_seed'], { field: 'seed', help: 'the seed is `seed = N`' }),
  ...aliases(['class_weight', 'class_weights'], { help: "dnnc has no class weights; balance the data set, or weight each sample's loss with a train input `w : f32[B]` (the weight of its class): `loss = mean(w * -sum(one_hot(label, C) * log_softmax(logits), axis: -1))`" }),
  ...aliases(['sample_weight'], { help: "dnnc has no sample weights; weight each sample's loss with a train input `w : f32[B]`: `loss = mean(w * -sum(one_hot(label, C) * log_softmax(logits), axis: -1))`" }),
  ...aliases(['accumulate', 'gradient_accumulation', 'accumulate_grad_batches'], { help: 'dnnc has no gradient accumulation; a larger `batch` computes the same gradient when it fits in memory' }),
  ...aliases(['shuffle'], { help: 'training data is always shuffled, in an order fixed by `seed`' }),
  ...aliases(['early_stopping', 'patience'], { help: 'dnnc train has no early stopping; fit from TypeScript and return false from onEpoch to stop' }),
  ...aliases(['device', 'backend'], { help: 'the backend is chosen when running: `dnnc train --backend webgpu`, or create({ backend }) in TypeScript' }),
};

export function isTrainField(name: string): name is TrainField {
  return (TRAIN_FIELDS as readonly string[]).includes(name);
}

/** The " ; did you mean 'batch'?" part and the help line of DNN0040 for a binding that is not a field. */
export function unknownFieldHint(name: string): { hint: string; help: string } {
  const known = Object.prototype.hasOwnProperty.call(MISNOMERS, name.toLowerCase()) ? MISNOMERS[name.toLowerCase()] : undefined;
  const near = known?.field ? `; did you mean '${known.field}'?` : didYouMean(name, TRAIN_FIELDS);
  const fields = `train fields: ${TRAIN_FIELDS.join(', ')}; any other binding must be a value that the block uses`;
  return { hint: near, help: known ? known.help : fields };
}

/**
 * Whether a binding is a local the block needs: some expression of the block
 * (its steps included) reads the name. Walks the AST generically, so new
 * expression kinds are covered; names in binding targets, argument labels,
 * callees and `.field` properties are not reads.
 */
export function readsName(stmts: readonly A.Stmt[], name: string): boolean {
  // an explicit stack, not recursion: a chain of 10,000 `+` is an AST 10,000 deep
  const stack: unknown[] = [];
  // a statement's own `name` (a train input's, a step's) is not a read; nested ones are looked at
  const visitChildren = (o: Record<string, unknown>, top: boolean) => {
    for (const k in o) {
      if (NOT_READS.has(k) || (k === 'target' && o.kind === 'Binding') || (k === 'name' && (top || o.kind === undefined))) continue;
      const v = o[k];
      if (v !== null && typeof v === 'object') stack.push(v);
    }
  };
  for (const st of stmts) visitChildren(st as unknown as Record<string, unknown>, true);
  while (stack.length) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const n of node) if (n !== null && typeof n === 'object') stack.push(n);
      continue;
    }
    const o = node as Record<string, unknown>;
    if (o.kind === 'Name') {
      if (o.name === name) return true;
      continue;
    }
    visitChildren(o, false);
  }
  return false;
}

/** AST fields that never hold a read of a name: positions, callees, `.field` properties */
const NOT_READS = new Set(['span', 'opSpan', 'callee', 'property']);
