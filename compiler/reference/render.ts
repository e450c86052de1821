/**
 * docs/reference.md, generated from the registries: the built-ins (layers,
 * functions, losses, metrics, optimizers, schedules, clipping, data sets)
 * with their signatures, shapes, weights and conventions, the layer
 * activations and initializers, the train-block fields, the names other
 * frameworks use, and the primitive ops. test/compiler/reference.test.ts
 * fails when the file differs from what this renders.
 */
import type { Builtin, BuiltinKind } from '../lower/builtin.js';
import { languageBuiltins as builtins } from '../lower/builtins/index.js';
import { ACTIVATION_DOCS, INIT_DOCS } from '../lower/builtins/layers/index.js';
import { dataFields } from '../lower/builtins/data-schemas.js';
import { TRAIN_FIELD_DOCS } from '../lower/train-fields.js';
import { allOps } from '../ops/index.js';
import { ALIASES, operatorAvailable } from '../suggest.js';
import { shapeToString } from '../dims.js';
import { parseSignature, type Signature } from './signature.js';

interface Section {
  kind: BuiltinKind;
  title: string;
  intro: string;
}

export const SECTIONS: Section[] = [
  { kind: 'layer', title: 'Layers', intro: 'Layers with weights create parameters named by their place: `Model.dense_1.weight`, or `Model.fc1.weight` with `name: fc1`. A layer called again with the same `name` shares its weights.' },
  { kind: 'fn', title: 'Functions', intro: 'Functions of tensors, with no weights. Elementwise functions keep the shape of their input.' },
  { kind: 'loss', title: 'Losses', intro: 'A loss is a scalar: the mean over every element (or sample) of the batch. Write it in a train block: `loss = cross_entropy(logits, data.label)`.' },
  { kind: 'metric', title: 'Metrics', intro: 'Metrics are reported beside the loss, averaged over the samples of each split: `metrics = [accuracy(logits, data.label)]`.' },
  { kind: 'optimizer', title: 'Optimizers', intro: 'The value of `optimizer = ...` in a train block. g is the gradient of a parameter w (after clipping); the moments start at zero.' },
  { kind: 'schedule', title: 'Learning-rate schedules', intro: "The value of `schedule = ...`: the learning rate of each step as a function of the optimizer's `lr`." },
  { kind: 'clip', title: 'Gradient clipping', intro: 'The value of `clip = ...` (a number n means `norm(n)`).' },
  { kind: 'data', title: 'Data sets', intro: 'The values of `data`, `validate` and `test`. Every built-in set has the splits train, validation and test; `data.field` reads a field, with the batch axis B in front. A project adds its own data sets with `registerDataset` (from `dnnc/data`) in a `dnnc.data.js` (or `.ts`) beside its .dnn files or in a folder above them: the examples register `loans`, `ring`, `reversal`, `adding`, `seasonal` and `grammar` that way, in examples/dnnc.data.ts.' },
];

const OPERATORS: [string, string][] = [
  ['a + b', 'sum, elementwise with broadcasting'],
  ['a - b', 'difference; `-a` negates'],
  ['a * b', 'product, elementwise'],
  ['a / b', 'quotient, elementwise'],
  ['a ** b', 'power, elementwise'],
  ['a @ b', 'matrix product over the last two axes (batched)'],
  ['a > b', 'greater than, elementwise -> bool'],
  ['a < b', 'less than, elementwise -> bool'],
  ['a >= b', 'greater than or equal, elementwise -> bool'],
  ['a <= b', 'less than or equal, elementwise -> bool'],
  ['a == b', 'equal, elementwise -> bool'],
  ['a != b', 'not equal, elementwise -> bool'],
  ['a and b', 'logical and of bools'],
  ['a or b', 'logical or of bools'],
  ['not a', 'logical not of a bool'],
  ['x |> f(...)', 'pipe: `f(x, ...)`'],
];

/** Arguments whose values are tabulated in a section of their own. */
const ARGUMENT_VALUES: Record<string, string> = {
  activation: 'see [Layer activations](#layer-activations)',
  init: 'see [Initializers](#initializers)',
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => '`' + text + '`';
const anchor = (name: string) => name;

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** The signature of a built-in; every doc line parses (the reference test checks it). */
export function signatureOf(b: Builtin): Signature {
  const sig = parseSignature(b.name, b.doc);
  if (!sig) throw new Error(`the doc line of '${b.name}' is not a signature: ${b.doc}`);
  return sig;
}

function argumentRows(b: Builtin, sig: Signature): string[][] {
  return b.params.map((p) => {
    const a = sig.args.find((x) => x.name === p.name);
    const values = a?.values?.split('|').map((v) => v.trim());
    const dflt = a?.default ?? (p.optional ? (values ? values[0] : p.name === 'name' ? 'kind_N (dense_1, ...)' : 'not given') : 'required');
    const listed = values ? values.map(code).join(', ') : (ARGUMENT_VALUES[p.name] ?? '');
    return [code(p.name), p.type, dflt, listed];
  });
}

function renderDataFields(name: string): string[] {
  const fields = dataFields({ name, args: {} });
  if (!fields) return ['Fields: known when the file is read (not at compile time).'];
  const rows = [...fields].map(([f, d]) => [code(`data.${f}`), `${d.dtype}${shapeToString(d.shape)}`, d.below !== undefined ? `ids in [0, ${d.below})` : '']);
  return ['Fields (with the default arguments):', '', ...table(['field', 'type', 'values'], rows)];
}

function renderBuiltin(b: Builtin): string[] {
  const sig = signatureOf(b);
  const out = [`### ${b.name}`, '', '```', sig.call, '```', ''];
  if (sig.description) out.push(sig.description, '');
  if (b.params.length > 0) out.push(...table(['argument', 'type', 'default', 'values'], argumentRows(b, sig)), '');
  if (b.variadic) out.push('Takes any number of further positional arguments (the `...` above).', '');
  const ref = b.reference;
  if (ref?.shapes) out.push(`**Shapes:** ${ref.shapes}`, '');
  if (ref?.weights?.length) out.push('**Weights:**', '', ...ref.weights.map((w) => `- ${w}`), '');
  if (ref?.notes?.length) out.push('**Conventions:**', '', ...ref.notes.map((n) => `- ${n}`), '');
  if (b.kind === 'data') out.push(...renderDataFields(b.name), '');
  if (b.notYet) out.push(`Not available yet: ${b.notYet}.`, '');
  return out;
}

function renderAliases(): string[] {
  const rows: string[][] = [];
  for (const [name, alias] of Object.entries(ALIASES).sort(([a], [b]) => a.localeCompare(b))) {
    if ('text' in alias) rows.push([code(name), alias.text]);
    else if ('operator' in alias) {
      if (operatorAvailable(alias.operator)) rows.push([code(name), `the operator ${code(alias.operator)}: ${code(alias.example)}`]);
    } else {
      const found = alias.names.filter(([n]) => builtins.has(n));
      if (found.length > 0) rows.push([code(name), found.map(([n, when]) => `[${n}](#${anchor(n)})${when ? ` (${when})` : ''}`).join(' or ')]);
    }
  }
  return table(['other name', 'in dnnc'], rows);
}

export function renderReference(): string {
  const all = [...builtins.values()];
  const out: string[] = [
    '# dnnc reference',
    '',
    '<!-- Generated from the compiler\'s registries by `npm run reference`; do not edit by hand. A test fails when this file is out of date. -->',
    '',
    'Every built-in name of the language with its arguments, defaults, shapes, weight layouts and the conventions that differ between frameworks. The grammar is in [language.md](language.md). An unknown name is an error that suggests the nearest built-in, including by the names other frameworks use ([below](#names-from-other-frameworks)).',
    '',
    '## Contents',
    '',
    '- [Operators](#operators)',
    '- [Train-block fields](#train-block-fields)',
    ...SECTIONS.map((s) => `- [${s.title}](#${s.title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')}): ${all.filter((b) => b.kind === s.kind).map((b) => `[${b.name}](#${anchor(b.name)})`).join(', ')}`),
    '- [Layer activations](#layer-activations)',
    '- [Initializers](#initializers)',
    '- [Names from other frameworks](#names-from-other-frameworks)',
    '- [Primitive ops](#primitive-ops)',
    '',
    '## Operators',
    '',
    ...table(['operator', 'meaning'], OPERATORS.filter(([e]) => operatorAvailable(e.split(' ')[e.startsWith('not') ? 0 : 1])).map(([e, m]) => [code(e), m])),
    '',
    '## Train-block fields',
    '',
    'A train block accepts these fields and local bindings its fields use; any other binding is an error (DNN0040) that says what it most likely meant.',
    '',
    ...table(['field', 'value', 'default', 'effect'], Object.entries(TRAIN_FIELD_DOCS).map(([f, d]) => [code(f), d.value, d.default, d.effect])),
    '',
  ];
  for (const s of SECTIONS) {
    out.push(`## ${s.title}`, '', s.intro, '');
    for (const b of all.filter((x) => x.kind === s.kind)) out.push(...renderBuiltin(b));
  }
  out.push(
    '## Layer activations',
    '',
    'The values of a layer\'s `activation` argument (dense, conv2d, conv2d_transpose, rnn, lstm, gru), applied to the layer\'s output y:',
    '',
    ...table(['activation', 'computes'], Object.entries(ACTIVATION_DOCS).map(([a, d]) => [code(a), d])),
    '',
    '## Initializers',
    '',
    'The values of a layer\'s `init` argument. fan_in and fan_out count the inputs and outputs of one unit (for convolutions: channels times the kernel size).',
    '',
    ...table(['init', 'draws'], Object.entries(INIT_DOCS).map(([a, d]) => [code(a), d])),
    '',
    '## Names from other frameworks',
    '',
    'Written in a .dnn file, these names are errors whose message suggests the dnnc spelling:',
    '',
    ...renderAliases(),
    '',
    '## Primitive ops',
    '',
    'The ops of the intermediate representation that every built-in lowers to (what `dnnc ir` prints, autodiff differentiates and the backends run):',
    '',
    ...table(['op', 'arity', 'meaning'], allOps().map((o) => [code(o.name), String(o.arity), o.doc])),
    '',
  );
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
