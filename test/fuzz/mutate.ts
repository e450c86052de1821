/**
 * Grammar-aware mutations of .dnn text. The text is cut into tokens with the
 * language's own lexer, so mutations act on what a person (or an attacker)
 * would change: tokens and lines deleted, swapped and duplicated, numbers
 * replaced by extreme ones, names by reserved words, long names and other
 * scripts, strings by device paths, expressions nested deeply or chained
 * thousands of times, files truncated, pieces of other files spliced in.
 */
import type { IToken } from 'chevrotain';
import { generatedNames, jsReserved, wgslReserved } from '../../codegen/names.js';
import { builtins } from '../../compiler/lower/builtins/index.js';
import { lexer } from '../../grammar/tokens.js';
import type { Rng } from './rng.js';
import type { Seed } from './seeds.js';

interface Tok {
  image: string;
  start: number;
  end: number;
  type: string;
}

function tokenize(text: string): Tok[] {
  return lexer.tokenize(text).tokens.map((t: IToken) => ({ image: t.image, start: t.startOffset, end: t.startOffset + t.image.length, type: t.tokenType.name }));
}

const numbers = ['0', '1', '2', '3', '7', '16', '64', '100', '1000', '65536', '1000000', '1000000000', '2147483647', '2147483648', '4294967296', '99999999999999999999', '1e9', '1e30', '1e308', '1e-30', '0.5', '0.0', '3.5', '1e400'];
const strings = ['""', '"/dev/zero"', '"/dev/null"', '"/proc/self/status"', '"/tmp"', '"nope.csv"', '"."', '"a b"', '"a\\nb"', '"*/"', '"${x}"', '"`"', '"\\\\"', '"größe"', `"${'s'.repeat(5000)}"`, '"data.csv"', '"y"', '"label"'];
const oddChars = ['\u0000', '\uFEFF', '\r', '\t', 'é', 'Σ', '𝛼', '💥', '$', '#', "'", '`', '\\', '@', '\u2028', '"', '{', '}', '(', ')', '[', ']', '|>', '->', '**', ':', ',', ';', '.'];
const scriptNames = ['größe', 'Σ', 'naïve', '変数', 'ÿ', 'café', '_', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'k00_dense_1_matmul', 'in0', 'out0', 'dims', 'v1'];

/** The words a name may be replaced by: builtins, reserved words of the targets, other scripts, names from the seeds. */
export function vocabulary(seeds: Seed[]): string[] {
  const names = new Set<string>([...builtins.keys(), ...jsReserved, ...wgslReserved, ...generatedNames, ...scriptNames]);
  for (const s of seeds) for (const t of tokenize(s.text)) if (t.type === 'Identifier' || t.type.startsWith('Kw_')) names.add(t.image);
  return [...names].sort();
}

export interface MutationContext {
  seeds: Seed[];
  words: string[];
}

type Mutator = (text: string, toks: Tok[], rng: Rng, cx: MutationContext) => string | undefined;

const replaceAt = (text: string, start: number, end: number, by: string) => text.slice(0, start) + by + text.slice(end);
const pickTok = (toks: Tok[], rng: Rng, type?: (t: Tok) => boolean) => {
  const list = type ? toks.filter(type) : toks;
  return list.length ? rng.pick(list) : undefined;
};
const lineSpans = (text: string) => {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++)
    if (i === text.length || text[i] === '\n') {
      out.push([start, Math.min(i + 1, text.length)]);
      start = i + 1;
    }
  return out;
};
const isExprStart = (t: Tok) => t.type === 'Identifier' || t.type === 'NumberLiteral';
/** an operand right after '=', '(' or ',': growing it there keeps the file well formed more often */
const operandAt = (toks: Tok[], rng: Rng) => {
  const list = toks.filter((t, i) => isExprStart(t) && i > 0 && ['=', '(', ','].includes(toks[i - 1].image) && toks[i + 1]?.image !== ':' && toks[i + 1]?.image !== '=');
  return list.length ? rng.pick(list) : undefined;
};
/** sizes that straddle the compiler's limits and go far past them */
const bigCount = (rng: Rng) => rng.pick([2, 10, 99, 100, 101, 150, 500, 1000, 3000, 5000, 10000]);

const mutators: Record<string, Mutator> = {
  deleteToken: (text, toks, rng) => {
    const t = pickTok(toks, rng);
    return t && replaceAt(text, t.start, t.end, '');
  },
  deleteTokens: (text, toks, rng) => {
    if (!toks.length) return undefined;
    const i = rng.int(toks.length);
    const j = Math.min(toks.length - 1, i + 1 + rng.int(8));
    return replaceAt(text, toks[i].start, toks[j].end, '');
  },
  deleteLine: (text, _toks, rng) => {
    const [a, b] = rng.pick(lineSpans(text));
    return replaceAt(text, a, b, '');
  },
  duplicateLine: (text, _toks, rng) => {
    const [a, b] = rng.pick(lineSpans(text));
    return replaceAt(text, b, b, text.slice(a, b).endsWith('\n') ? text.slice(a, b) : `\n${text.slice(a, b)}`);
  },
  duplicateTokens: (text, toks, rng) => {
    if (!toks.length) return undefined;
    const i = rng.int(toks.length);
    const j = Math.min(toks.length - 1, i + rng.int(6));
    const piece = text.slice(toks[i].start, toks[j].end);
    return replaceAt(text, toks[j].end, toks[j].end, ` ${piece}`);
  },
  swapTokens: (text, toks, rng) => {
    if (toks.length < 2) return undefined;
    let a = rng.pick(toks);
    let b = rng.pick(toks);
    if (a.start > b.start) [a, b] = [b, a];
    if (a === b) return undefined;
    return text.slice(0, a.start) + b.image + text.slice(a.end, b.start) + a.image + text.slice(b.end);
  },
  replaceNumber: (text, toks, rng) => {
    const t = pickTok(toks, rng, (x) => x.type === 'NumberLiteral');
    return t && replaceAt(text, t.start, t.end, rng.pick(numbers));
  },
  replaceName: (text, toks, rng, cx) => {
    const t = pickTok(toks, rng, (x) => x.type === 'Identifier');
    if (!t) return undefined;
    const roll = rng.next();
    const by = roll < 0.05 ? 'n'.repeat(rng.pick([100, 1000, 30000])) : roll < 0.15 ? `${t.image}${rng.pick(['x', '_', '1', 'é'])}` : rng.pick(cx.words);
    return replaceAt(text, t.start, t.end, by);
  },
  renameEverywhere: (text, toks, rng, cx) => {
    // every use of one name: keeps the file consistent, so the new name reaches code generation
    const t = pickTok(toks, rng, (x) => x.type === 'Identifier');
    if (!t) return undefined;
    const by = rng.chance(0.1) ? `${'z'.repeat(rng.pick([64, 1000, 30000]))}` : rng.pick(cx.words);
    // in one pass, and no further than the input size limit: 10,000 uses of a name, each
    // replaced by a 30,000-character one, would otherwise copy gigabytes
    const parts: string[] = [];
    let at = 0;
    let size = 0;
    for (const u of toks) {
      if (u.type !== 'Identifier' || u.image !== t.image) continue;
      parts.push(text.slice(at, u.start), by);
      size += u.start - at + by.length;
      at = u.end;
      if (size > MAX_INPUT_CHARS) break;
    }
    parts.push(text.slice(at));
    return parts.join('');
  },
  replaceString: (text, toks, rng) => {
    const t = pickTok(toks, rng, (x) => x.type === 'StringLiteral');
    return t && replaceAt(text, t.start, t.end, rng.pick(strings));
  },
  insertToken: (text, toks, rng, cx) => {
    const at = toks.length ? rng.pick(toks).start : 0;
    const by = rng.chance(0.5) ? rng.pick(oddChars) : rng.pick(cx.words);
    return replaceAt(text, at, at, ` ${by} `);
  },
  oddChar: (text, _toks, rng) => {
    const at = rng.int(text.length + 1);
    return replaceAt(text, at, at, rng.pick(oddChars));
  },
  deepNest: (text, toks, rng) => {
    const t = operandAt(toks, rng) ?? pickTok(toks, rng, isExprStart);
    if (!t) return undefined;
    const n = bigCount(rng);
    const kind = rng.int(4);
    const open = kind === 0 ? '('.repeat(n) : kind === 1 ? '-'.repeat(n) : kind === 2 ? 'relu('.repeat(n) : '['.repeat(n);
    const close = kind === 0 || kind === 2 ? ')'.repeat(n) : kind === 1 ? '' : ']'.repeat(n);
    return replaceAt(text, t.start, t.end, `${open}${t.image}${close}`);
  },
  longChain: (text, toks, rng) => {
    const t = operandAt(toks, rng) ?? pickTok(toks, rng, isExprStart);
    if (!t) return undefined;
    const n = bigCount(rng);
    const link = rng.pick([` + ${t.image}`, ' |> relu', ` * ${t.image}`, ` ** ${t.image}`, '[0]', ' |> tanh |> relu', ` - ${t.image}`]);
    return replaceAt(text, t.end, t.end, link.repeat(n));
  },
  truncate: (text, _toks, rng) => text.slice(0, rng.int(text.length + 1)),
  splice: (text, toks, rng, cx) => {
    // a run of tokens from another seed, inserted at a token boundary
    const donor = rng.pick(cx.seeds).text;
    const piece = tokenize(donor);
    if (!piece.length) return undefined;
    const a = rng.int(piece.length);
    const b = Math.min(piece.length - 1, a + rng.int(24));
    const at = toks.length ? rng.pick(toks).start : 0;
    return replaceAt(text, at, at, ` ${donor.slice(piece[a].start, piece[b].end)} `);
  },
  repeatItem: (text, _toks, rng) => {
    // a whole model/block/train item twice (duplicate definitions, several models)
    const items = [...text.matchAll(/^(model|block|train)\b[\s\S]*?^\}/gm)];
    if (!items.length) return undefined;
    const m = rng.pick(items);
    return `${text}\n${m[0]}\n`;
  },
};

const names = Object.keys(mutators);
/** mutations that often leave a file that still compiles: they carry inputs through to code generation */
const mild = ['replaceNumber', 'renameEverywhere', 'replaceString', 'longChain', 'deepNest', 'duplicateLine', 'repeatItem', 'oddChar'];

/** The largest input the fuzzer makes (characters); longer texts are cut. */
export const MAX_INPUT_CHARS = 400_000;

/**
 * Mutate `text`: a third of the time with one mild mutation (so that many
 * inputs reach code generation), else with one to four of any kind. The
 * names of the mutations applied come back with it.
 */
export function mutate(text: string, rng: Rng, cx: MutationContext): { text: string; applied: string[] } {
  let out = text;
  const applied: string[] = [];
  const gentle = rng.chance(1 / 3);
  const count = gentle ? 1 : 1 + (rng.chance(0.5) ? 0 : rng.int(4));
  for (let k = 0, tries = 0; k < count && tries < 20; tries++) {
    const name = rng.pick(gentle ? mild : names);
    const next = mutators[name](out, tokenize(out), rng, cx);
    if (next === undefined || next === out) continue;
    out = next.length > MAX_INPUT_CHARS ? next.slice(0, MAX_INPUT_CHARS) : next;
    applied.push(name);
    k++;
  }
  // keep inputs to a size the per-input time budget is meant for
  if (out.length > MAX_INPUT_CHARS) out = out.slice(0, MAX_INPUT_CHARS);
  return { text: out, applied };
}
