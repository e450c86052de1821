/**
 * The lexer of .dnn files (chevrotain).
 *
 * Whitespace, newlines and comments are skipped: newlines carry no meaning, and
 * `;` may separate statements. Keywords are matched before identifiers and use
 * `longer_alt` so that `input_size`, `steps2` or `model_a` stay identifiers.
 *
 * Some keywords are "soft": they also count as identifiers (chevrotain token
 * category), so `mnist(split: train)` or `schedule = step(...)` work. The
 * parser tells them apart by the token that follows (`train Name {` versus
 * `train` used as a value). Keywords that may follow an expression (`on`, `as`,
 * `every`, `steps`, `tau`) are hard keywords, or a statement like
 * `x = y on = 3` would be ambiguous.
 *
 * Every word token (identifier or keyword) also belongs to the `AnyWord`
 * category, accepted where any word is fine: argument names (`steps: 100`)
 * and member names (`data.input`).
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

// --------------------------------------------------------------- categories

/** Any word: an identifier or a keyword (argument and member names). */
export const AnyWord = createToken({ name: 'AnyWord', pattern: Lexer.NA });

/**
 * Every token except '}': a body skips a token it cannot start a statement with
 * (error recovery, reported by grammar/index.ts) and goes on at the next one.
 */
export const Stray = createToken({ name: 'Stray', pattern: Lexer.NA });

/** A name: a letter (any script) or '_', then letters, digits and '_'. */
const identifierPattern = /[\p{L}_][\p{L}\p{N}_]*/uy;

export const Identifier = createToken({
  name: 'Identifier',
  // a custom matcher: the lexer's own regexp analysis does not handle the 'u' flag
  pattern: {
    exec: (text: string, offset: number) => {
      identifierPattern.lastIndex = offset;
      return identifierPattern.exec(text);
    },
  },
  line_breaks: false,
  categories: [AnyWord, Stray],
});

/** A dtype keyword that can start a tensor type (`f32[...]`). */
export const DType = createToken({ name: 'DType', pattern: Lexer.NA });

// ------------------------------------------------------------------ keywords

/** The display text of every token type, used in error messages. */
export const tokenLabels = new Map<TokenType, string>();

function keyword(word: string, opts: { soft?: boolean; categories?: TokenType[] } = {}): TokenType {
  const categories = [AnyWord, Stray, ...(opts.categories ?? [])];
  if (opts.soft) categories.push(Identifier);
  const t = createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories,
    label: `'${word}'`,
  });
  tokenLabels.set(t, `'${word}'`);
  return t;
}

// soft keywords: also usable as names
export const Model = keyword('model', { soft: true });
export const Block = keyword('block', { soft: true });
export const Train = keyword('train', { soft: true });
export const Input = keyword('input', { soft: true });
export const Output = keyword('output', { soft: true });
export const Step = keyword('step', { soft: true });
export const Sync = keyword('sync', { soft: true });
// hard keywords
export const Param = keyword('param');
export const Const = keyword('const');
export const Repeat = keyword('repeat');
export const As = keyword('as');
export const Return = keyword('return');
export const Every = keyword('every');
export const Steps = keyword('steps');
export const Tau = keyword('tau');
export const On = keyword('on');
export const True = keyword('true');
// logical operators: `and`/`or` follow an expression, so they are hard keywords
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const False = keyword('false');
// dtypes
export const F32 = keyword('f32', { categories: [DType] });
export const F16 = keyword('f16', { categories: [DType] });
export const I32 = keyword('i32', { categories: [DType] });
export const Bool = keyword('bool', { categories: [DType] });
// scalar parameter types
export const Int = keyword('int');
export const Float = keyword('float');
export const Str = keyword('str');

// `steps` must come before `step`, or `steps` would lex as `step` + ... (longer_alt
// only falls back to Identifier): order longer keywords first where one is a prefix.
const keywords: TokenType[] = [
  Model, Block, Train, Input, Output, Steps, Step, Sync,
  Param, Const, Repeat, As, Return, Every, Tau, On, True, False, And, Or, Not,
  F32, F16, I32, Bool, Int, Float, Str,
];

// ------------------------------------------------------------------ literals

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
  label: 'a number',
  categories: [Stray],
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: 'a string',
  categories: [Stray],
});

// ----------------------------------------------------------------- operators

function op(name: string, text: string, pattern: RegExp): TokenType {
  const t = createToken({ name, pattern, label: `'${text}'`, categories: text === '}' ? [] : [Stray] });
  tokenLabels.set(t, `'${text}'`);
  return t;
}

export const PipeOp = op('PipeOp', '|>', /\|>/);
export const Arrow = op('Arrow', '->', /->/);
export const StarStar = op('StarStar', '**', /\*\*/);
export const Plus = op('Plus', '+', /\+/);
export const Minus = op('Minus', '-', /-/);
export const Star = op('Star', '*', /\*/);
export const Slash = op('Slash', '/', /\//);
export const At = op('At', '@', /@/);
/** Comparisons (each yields a bool tensor); tried before `=`, `<`, `>` and `->`. */
export const Comparison = createToken({ name: 'Comparison', pattern: Lexer.NA });
function cmp(name: string, text: string, pattern: RegExp): TokenType {
  const t = createToken({ name, pattern, label: `'${text}'`, categories: [Stray, Comparison] });
  tokenLabels.set(t, `'${text}'`);
  return t;
}
export const EqEq = cmp('EqEq', '==', /==/);
export const NotEq = cmp('NotEq', '!=', /!=/);
export const LessEq = cmp('LessEq', '<=', /<=/);
export const GreaterEq = cmp('GreaterEq', '>=', />=/);
export const Less = cmp('Less', '<', /</);
export const Greater = cmp('Greater', '>', />/);
export const Equals = op('Equals', '=', /=/);
export const Colon = op('Colon', ':', /:/);
export const Comma = op('Comma', ',', /,/);
export const Dot = op('Dot', '.', /\./);
export const LParen = op('LParen', '(', /\(/);
export const RParen = op('RParen', ')', /\)/);
export const LBracket = op('LBracket', '[', /\[/);
export const RBracket = op('RBracket', ']', /]/);
export const LCurly = op('LCurly', '{', /\{/);
export const RCurly = op('RCurly', '}', /\}/);
export const Semicolon = op('Semicolon', ';', /;/);

tokenLabels.set(Identifier, 'a name');
tokenLabels.set(NumberLiteral, 'a number');
tokenLabels.set(StringLiteral, 'a string');

// ------------------------------------------------------------- skipped text

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED });

/** An unclosed block comment or string: reported as a lexer error (grammar/index.ts). */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'unterminated' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*/, group: 'unterminated' });

/** All token types, in matching order (comments before `/`, `**` before `*`, ...). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  ...keywords,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  PipeOp,
  Arrow,
  StarStar,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  Colon,
  Comma,
  Dot,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  Semicolon,
  // categories are listed so the parser knows them
  AnyWord,
  DType,
  Comparison,
  Stray,
];

export const lexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
