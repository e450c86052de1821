/**
 * The TextMate grammar of editors/vscode: every keyword of dnnc's lexer is
 * highlighted as one (in the context it is a keyword in), names that are
 * also soft keywords stay names elsewhere, and comments, strings, numbers,
 * calls and operators get their scopes. The patterns are simple enough to
 * mean the same in JavaScript's RegExp as in Oniguruma, which editors use.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allTokens } from '../../grammar/tokens.js';

interface Pattern {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  captures?: Record<string, { name: string }>;
  patterns?: Pattern[];
}
const grammar = JSON.parse(readFileSync('editors/vscode/syntaxes/dnn.tmLanguage.json', 'utf8')) as { scopeName: string; patterns: Pattern[]; repository: Record<string, Pattern> };
const manifest = JSON.parse(readFileSync('editors/vscode/package.json', 'utf8')) as { contributes: { grammars: { scopeName: string; path: string }[]; languages: { extensions: string[] }[] } };

/** Every match pattern, flattened through includes. */
function flatten(ps: Pattern[]): Pattern[] {
  return ps.flatMap((p) => (p.include ? flatten([grammar.repository[p.include.slice(1)]]) : p.patterns && !p.begin ? flatten(p.patterns).map((q) => ({ ...q, name: q.name ?? p.name })) : [p]));
}
const patterns = flatten(grammar.patterns);

/** The scopes given to `word` where it occurs in `line`, by the patterns tried in order at each position (as a tokenizer does). */
function scopesOf(line: string, word: string): string[] {
  const at = line.indexOf(word);
  const scopes: string[] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { index: number; m: RegExpExecArray; p: Pattern } | undefined;
    for (const p of patterns) {
      const source = p.match ?? p.begin;
      if (!source) continue;
      const re = new RegExp(source, 'gm');
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.index)) best = { index: m.index, m, p };
    }
    if (!best) break;
    const { m, p } = best;
    let end = m.index + m[0].length;
    if (p.end) {
      // a begin/end region (strings, block comments) runs to its end pattern, or the end of the line
      const close = new RegExp(p.end, 'gm');
      close.lastIndex = end;
      const c = close.exec(line);
      end = c ? c.index + c[0].length : line.length;
    }
    if (at >= m.index && at < end) {
      if (p.name) scopes.push(p.name);
      for (const [i, c] of Object.entries(p.captures ?? {})) {
        const group = m[Number(i)];
        if (group === undefined) continue;
        const start = m.index + m[0].indexOf(group);
        if (at >= start && at < start + group.length) scopes.push(c.name);
      }
      return scopes;
    }
    pos = end;
  }
  return scopes;
}

const KEYWORD = /^(keyword|storage\.type|constant\.language)/;
const keywords = allTokens.filter((t) => t.name.startsWith('Kw_')).map((t) => t.name.slice(3));

/** A line where the keyword is used as one. */
const CONTEXT: Record<string, string> = {
  model: 'model Net {',
  block: 'block Res(x: f32[B, C]) {',
  train: 'train Net {',
  step: '  step generator {',
  input: '  input image: f32[B, 1, 28, 28]',
  output: '  output logits: f32[B, 10]',
  sync: '  sync QNet -> Target every 1 steps tau: 0.005',
};

test('the manifest names the grammar and the .dnn extension', () => {
  assert.equal(manifest.contributes.grammars.map((g) => [g.scopeName, g.path]), [[grammar.scopeName, './syntaxes/dnn.tmLanguage.json']]);
  assert.ok(manifest.contributes.languages[0].extensions.includes('.dnn'));
});

test("every keyword of dnnc's lexer is highlighted as a keyword", () => {
  assert.ok(keywords.length >= 20, `the lexer's keywords: ${keywords.join(' ')}`);
  for (const k of keywords) {
    const line = CONTEXT[k] ?? `  x = ${k} `;
    assert.ok(scopesOf(line, k).some((s) => KEYWORD.test(s)), `'${k}' in "${line}": ${scopesOf(line, k).join(', ') || 'no scope'}`);
  }
});

test('soft keywords used as names are not keywords', () => {
  for (const [line, word] of [
    ['  data = mnist(split: train)', 'train'],
    ['  schedule = step(step_size: 100)', 'step'],
    ['  h = input_size + 1', 'input_size'],
  ])
    assert.not.ok(scopesOf(line, word).some((s) => /^keyword/.test(s)), `'${word}' in "${line}": ${scopesOf(line, word).join(', ')}`);
});

test('comments, strings, numbers, calls, declarations and operators', () => {
  const cases: [string, string, string][] = [
    ['  y = x // dense(3) here', 'dense', 'comment.line.double-slash.dnn'],
    ['  data = csv("loans.csv", label: "default")', 'loans', 'string.quoted.double.dnn'],
    ['  optimizer = adam(lr: 1e-3)', '1e-3', 'constant.numeric.dnn'],
    ['  y = x |> dense(10)', 'dense', 'entity.name.function.dnn'],
    ['  y = x |> relu |> dense(10)', 'relu', 'entity.name.function.dnn'],
    ['  y = conv2d(x, filters: 8)', 'filters', 'variable.parameter.dnn'],
    ['model LeNet {', 'LeNet', 'entity.name.type.dnn'],
    ['  y = x |> relu', '|>', 'keyword.operator.pipe.dnn'],
    ['  y = a @ b', '@', 'keyword.operator.arithmetic.dnn'],
  ];
  for (const [line, word, scope] of cases) assert.ok(scopesOf(line, word).includes(scope), `'${word}' in "${line}": ${scopesOf(line, word).join(', ') || 'no scope'}, expected ${scope}`);
});

test.run();
