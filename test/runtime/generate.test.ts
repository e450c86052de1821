/** Sampling from causal language models. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitModule } from '../../codegen/module/index.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { generate, instantiate } from '../../runtime/index.js';

const lm = (T: string) => `model LM { input tokens: i32[B, ${T}]  output logits: f32[B, ${T}, 7]
  logits = tokens |> embedding(vocab: 7, dim: 8) |> dense(16) |> tanh |> dense(7) }`;

async function model(T = '6') {
  const r = compileSource(lm(T), 'lm.dnn');
  assert.equal(r.diagnostics, []);
  return instantiate(programFromModel(r.file!.models[0]), { seed: 3 });
}

test('temperature 0 follows the arg-max chain; top-k 1 is the same; the seed fixes samples', async () => {
  const m = await model();
  const greedy = await generate(m, { prompt: [1, 2, 3, 4, 5, 6], steps: 5, temperature: 0 });
  // by hand: the arg-max of the last position's logits, window of 6
  const tokens = [1, 2, 3, 4, 5, 6];
  for (let s = 0; s < 5; s++) {
    const out = await m.predict({ tokens: { data: Int32Array.from(tokens.slice(-6)), shape: [1, 6] } });
    const last = Array.from(out.logits.data.subarray(5 * 7, 6 * 7));
    tokens.push(last.indexOf(Math.max(...last)));
  }
  assert.equal(greedy, tokens);
  assert.equal(await generate(m, { prompt: [1, 2, 3, 4, 5, 6], steps: 5, topK: 1, seed: 9 }), greedy);
  const a = await generate(m, { prompt: [1, 2, 3, 4, 5, 6], steps: 20, temperature: 1.5, seed: 4 });
  const b = await generate(m, { prompt: [1, 2, 3, 4, 5, 6], steps: 20, temperature: 1.5, seed: 4 });
  assert.equal(a, b);
  assert.ok(a.every((t) => t >= 0 && t < 7));
  assert.ok(new Set(a.slice(6)).size > 1, 'sampling at a high temperature varies');
});

test('a symbolic sequence length reads the whole context; non-language models are refused', async () => {
  const m = await model('T');
  const out = await generate(m, { prompt: [3], steps: 4, temperature: 0 });
  assert.is(out.length, 5);
  const r = compileSource(`model M { input x: f32[B, 4]  output y: f32[B, 2]  y = x |> dense(2) }`, 'm.dnn');
  const other = await instantiate(programFromModel(r.file!.models[0]));
  await generate(other, { prompt: [1], steps: 1 }).then(
    () => assert.unreachable('should refuse'),
    (e: Error) => assert.match(e.message, /not a causal language model/),
  );
});

test('generated modules of language models export a typed generate helper', () => {
  const r = compileSource(lm('6'), 'lm.dnn');
  const text = emitModule(r.file!, { emit: 'ts', sourceName: 'lm' }).files[0].text;
  assert.match(text, 'export function generateLM(model: LMModel, options: GenerateOptions): Promise<number[]>');
  assert.match(text, /import \{ instantiate, generate, /);
});

test('a sequence longer than the positional table is an error naming the input', async () => {
  const r = compileSource(
    `model P { input tokens: i32[B, T]  output y: f32[B, T, 4]  y = embedding(tokens, vocab: 9, dim: 4) + positional(T, 4, max: 8) }`,
    'p.dnn',
  );
  assert.equal(r.diagnostics, []);
  const m = await instantiate(programFromModel(r.file!.models[0]));
  const ok = await m.predict({ tokens: { data: new Int32Array(8), shape: [1, 8] } });
  assert.equal(ok.y.shape, [1, 8, 4]);
  await m.predict({ tokens: { data: new Int32Array(9), shape: [1, 9] } }).then(
    () => assert.unreachable('T = 9 > max = 8'),
    (e: Error) => assert.is(e.message, "P: input 'tokens' has T = 9, longer than 8, the most positional(max: 8) allows"),
  );
});

test.run();
