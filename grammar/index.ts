/**
 * The grammar front end: `.dnn` text → typed AST + diagnostics.
 *
 *   const { program, diagnostics } = parse(source, 'model.dnn');
 *
 * Lexer errors are DNN0001, syntax errors DNN0002. Several independent errors
 * are reported in one run, and parse never throws for any input.
 */
import type { IRecognitionException, IToken } from 'chevrotain';
import type { Program } from './ast.js';
import type { Span } from './span.js';
import { didYouMean, makeDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';
import { MAX_NESTING, MAX_SYNTAX_ERRORS } from '../compiler/limits.js';
import { lexer } from './tokens.js';
import { getParser, SyntaxErrorLimit, type RawSyntaxError } from './parser.js';
import { AstBuilder } from './to-ast.js';

export type * from './ast.js';
export type { Span } from './span.js';

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

export function parse(source: string, file: string): ParseResult {
  const builder = new AstBuilder(source, file);
  const diagnostics: Diagnostic[] = [];
  try {
    const lexed = lexer.tokenize(source);
    for (const t of lexed.groups.unterminated ?? []) {
      const comment = t.image.startsWith('/*');
      const span = spanAt(source, file, t.startOffset, t.startOffset + (comment ? 2 : 1));
      const help = comment ? "a block comment opened with '/*' must be closed with '*/'" : 'a string must be closed with \'"\' on the same line';
      diagnostics.push(makeDiagnostic('DNN0001', span, { text: comment ? '/*' : '"' }, { help }));
    }
    for (const e of lexed.errors) {
      const text = source.slice(e.offset, e.offset + e.length);
      const shown = text.length > 12 ? `${text.slice(0, 12)}...` : text;
      const span = spanAt(source, file, e.offset, e.offset + Math.max(1, Math.min(e.length, 1)));
      diagnostics.push(makeDiagnostic('DNN0001', span, { text: shown }, lexerHelp(text)));
    }
    const tokens = lexed.tokens;
    // the parser recurses once per bracket: deeper nesting is refused before it could exhaust the stack
    const tooDeep = firstTooDeep(tokens);
    if (tooDeep) {
      const span = spanAt(source, file, tooDeep.startOffset, tooDeep.startOffset + 1);
      diagnostics.push(makeDiagnostic('DNN0032', span, { what: 'expression', max: MAX_NESTING, hint: '' }));
      return { program: { kind: 'Program', items: [], span: spanAt(source, file, 0, source.length) }, diagnostics };
    }
    const lexErrorLines = new Set(diagnostics.map((d) => d.span.line));
    const ctx = new SyntaxContext(tokens);
    const parser = getParser();
    const program: Program = { kind: 'Program', items: [], span: spanAt(source, file, 0, source.length) };
    // Junk between items: chevrotain's in-repetition recovery skips it and
    // resumes at the next item; it reports it as "expected end of input".
    parser.input = tokens;
    parser.maxErrors = MAX_SYNTAX_ERRORS;
    let stoppedAt: IToken | undefined;
    try {
      program.items.push(...builder.program(parser.program()).items);
    } catch (e) {
      // so many errors that the rest is not worth recovering from: report those, and where parsing stopped
      if (!(e instanceof SyntaxErrorLimit)) throw e;
      stoppedAt = e.token;
    }
    const errors = parser.errors.map((e) => {
      const raw = readRaw(e);
      if (raw.kind === 'mismatch' && raw.expected === 'EOF') {
        e.message = JSON.stringify({ kind: 'notAllInput', ruleName: 'program' } satisfies RawSyntaxError);
      }
      return e;
    });
    // tokens a body skipped: one error per run of them
    const strayIdx = new Set(builder.strays.map((t) => ctx.indexOf(t)));
    for (const t of builder.strays) {
      const i = ctx.indexOf(t);
      if (strayIdx.has(i - 1)) continue;
      const pseudo = { name: 'NoViableAltException', message: JSON.stringify({ kind: 'noViableAlt', ruleName: 'statement' } satisfies RawSyntaxError), token: t, resyncedTokens: [], context: { ruleStack: ['statement'], ruleOccurrenceStack: [] } };
      errors.push(pseudo as IRecognitionException);
    }
    errors.sort((a, b) => ctx.indexOf(a.token) - ctx.indexOf(b.token));
    diagnostics.push(...syntaxDiagnostics(errors, ctx, builder, source, file, lexErrorLines));
    if (stoppedAt) {
      const span = stoppedAt.startOffset >= 0 && stoppedAt.image ? builder.tokenSpan(stoppedAt) : spanAt(source, file, source.length, source.length);
      diagnostics.push(makeDiagnostic('DNN0002', span, { message: `parsing stopped here: more than ${MAX_SYNTAX_ERRORS} syntax errors so far; fix the first ones and check again` }));
    }
    diagnostics.push(...builder.diagnostics);
    diagnostics.sort((a, b) => a.span.offset - b.span.offset);
    return { program, diagnostics };
  } catch (err) {
    // never let an internal failure escape as an exception for user input
    const span = spanAt(source, file, 0, 0);
    const message =
      err instanceof RangeError
        ? 'the program is nested too deeply to parse'
        : `internal parser error: ${(err as Error)?.message ?? String(err)}`;
    diagnostics.push(makeDiagnostic('DNN0002', span, { message }));
    return { program: { kind: 'Program', items: [], span: spanAt(source, file, 0, source.length) }, diagnostics };
  }
}

/**
 * The first token that opens a level of nesting above MAX_NESTING, if any:
 * a bracket, or a sign or `**` in a run of them (each operand of a prefix
 * sign and each right operand of `**` nests one level deeper in the parser).
 */
function firstTooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  let signs = 0;
  let powers = 0;
  for (const t of tokens) {
    const c = t.image;
    if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return t;
    } else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    signs = c === '-' || c === '+' ? signs + 1 : 0;
    if (c === '**') powers++;
    else if (c === '(' || c === ')' || c === '[' || c === ']' || c === '{' || c === '}' || c === ',' || c === '=' || c === ';') powers = 0;
    if (depth + signs > MAX_NESTING || depth + powers > MAX_NESTING) return t;
  }
  return undefined;
}

function lexerHelp(text: string): { help?: string } {
  if (text.startsWith("'")) return { help: 'strings use double quotes: "like this"' };
  if (text.startsWith('#')) return { help: "comments start with '//'" };
  return {};
}

function spanAt(source: string, file: string, start: number, end: number): Span {
  const pos = (offset: number): [number, number] => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < source.length; i++) {
      if (source[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return [line, offset - lineStart + 1];
  };
  const [line, col] = pos(start);
  const [endLine, endCol] = pos(end);
  return { file, line, col, endLine, endCol, offset: start, endOffset: end };
}

// ---------------------------------------------------------- syntax errors

const closerText: Record<string, string> = { RParen: ')', RBracket: ']', RCurly: '}' };
const openerFor: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const itemStart = "'model', 'block', 'train', 'param' or 'const'";

function describeFound(t: IToken | undefined): string {
  if (!t || t.tokenType.name === 'EOF' || !Number.isFinite(t.startOffset)) return 'the end of the file';
  return `'${t.image}'`;
}

/** Human text of what a token type name stands for. */
function describeExpected(name: string): string {
  switch (name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    case 'StringLiteral':
      return 'a string';
    case 'DType':
      return "a tensor type such as 'f32[B, 10]'";
    case 'AnyWord':
      return 'a name';
    case 'Comparison':
      return "a comparison ('==', '!=', '<', '<=', '>', '>=')";
    case 'EOF':
      return 'the end of the file';
  }
  const kw = /^Kw_(.*)$/.exec(name);
  if (kw) return `'${kw[1]}'`;
  const texts: Record<string, string> = {
    PipeOp: '|>', Arrow: '->', StarStar: '**', Plus: '+', Minus: '-', Star: '*', Slash: '/', At: '@',
    Equals: '=', Colon: ':', Comma: ',', Dot: '.', LParen: '(', RParen: ')', LBracket: '[', RBracket: ']',
    LCurly: '{', RCurly: '}', Semicolon: ';', EqEq: '==', NotEq: '!=', LessEq: '<=', GreaterEq: '>=', Less: '<', Greater: '>',
  };
  return texts[name] ? `'${texts[name]}'` : name;
}

class SyntaxContext {
  private readonly index = new Map<IToken, number>();

  constructor(readonly tokens: IToken[]) {
    tokens.forEach((t, i) => this.index.set(t, i));
  }

  /** Index of a token in the stream; EOF and unknown tokens are past the end. */
  indexOf(t: IToken | undefined): number {
    if (!t) return this.tokens.length;
    const i = this.index.get(t);
    if (i !== undefined) return i;
    // tokens created by recovery: place them by offset
    if (!Number.isFinite(t.startOffset)) return this.tokens.length;
    const j = this.tokens.findIndex((x) => x.startOffset >= t.startOffset);
    return j < 0 ? this.tokens.length : j;
  }

  previous(t: IToken | undefined): IToken | undefined {
    const i = this.indexOf(t);
    return i > 0 ? this.tokens[i - 1] : undefined;
  }

  /** The innermost bracket still open before token index `at`. */
  openBracket(at: number, opener: string): number | undefined {
    const stack: number[] = [];
    for (let i = 0; i < at && i < this.tokens.length; i++) {
      const img = this.tokens[i].image;
      if (img === '(' || img === '[' || img === '{') stack.push(i);
      else if (img === ')' || img === ']' || img === '}') {
        // pop up to the matching opener (tolerates unbalanced input)
        const want = openerFor[img];
        for (let k = stack.length - 1; k >= 0; k--) {
          if (this.tokens[stack[k]].image === want) {
            stack.length = k;
            break;
          }
        }
      }
    }
    for (let k = stack.length - 1; k >= 0; k--) if (this.tokens[stack[k]].image === opener) return stack[k];
    return undefined;
  }

  /** "the call of 'dense'", "the body of model 'LeNet'", ... for the bracket at index i. */
  describeOpener(i: number): string {
    const t = this.tokens[i];
    const before = this.tokens[i - 1];
    const line = t.startLine;
    if (t.image === '(') {
      if (before && this.tokens[i - 2]?.image === 'block') return `the parameters of block '${before.image}'`;
      if (before && isWord(before)) return `the call of '${before.image}'`;
      return `the '(' opened on line ${line}`;
    }
    if (t.image === '[') {
      if (before && /^(f32|f16|i32|bool)$/.test(before.image)) return `the shape of the '${before.image}' type`;
      if (before && isWord(before)) return `the index of '${before.image}'`;
      if (before && (before.image === ')' || before.image === ']')) return 'the index';
      return `the list opened on line ${line}`;
    }
    // '{': find the header keyword
    for (let k = i - 1; k >= 0 && k >= i - 40; k--) {
      const img = this.tokens[k].image;
      if (img === '{' || img === '}') break;
      if (this.tokens[k].tokenType.name.startsWith('Kw_')) {
        const kw = img;
        const name = this.tokens[k + 1]?.image;
        if (kw === 'model' || kw === 'block' || kw === 'train' || kw === 'step') return `the body of ${kw} '${name}'`;
        if (kw === 'repeat') return `the body of 'repeat' on line ${this.tokens[k].startLine}`;
      }
    }
    return `the '{' opened on line ${line}`;
  }
}

function isWord(t: IToken): boolean {
  return /^[\p{L}_]/u.test(t.image);
}

function readRaw(e: IRecognitionException): RawSyntaxError {
  try {
    return JSON.parse(e.message) as RawSyntaxError;
  } catch {
    return { kind: 'noViableAlt', ruleName: '' };
  }
}

function syntaxDiagnostics(
  errors: IRecognitionException[],
  ctx: SyntaxContext,
  builder: AstBuilder,
  source: string,
  file: string,
  lexErrorLines: Set<number>,
): Diagnostic[] {
  const tokens = ctx.tokens;
  const out: Diagnostic[] = [];
  let lastLine = -1;
  let lastIndex = -1;
  for (const e of errors) {
    let at = ctx.indexOf(e.token);
    let t = at < tokens.length ? tokens[at] : undefined;
    let raw = readRaw(e);
    // `y x` or `inptu x: ...`: a name starts a statement but '=' or ':' does not follow
    if (raw.kind === 'noViableAlt' && raw.ruleName === 'statement' && t && isWord(t)) {
      const next = tokens[at + 1];
      if (next?.image !== '=' && next?.image !== ':') {
        at += 1;
        t = next;
        raw = { kind: 'noViableAlt', ruleName: 'nameStmt' };
      }
    }
    const prev = at > 0 ? tokens[at - 1] : undefined;
    let span = t ? builder.tokenSpan(t) : spanAt(source, file, source.length, source.length);
    // "expected X after Y": when the found token is on a later line, point just after Y
    const continuation = raw.kind !== 'notAllInput' && !(raw.kind === 'mismatch' && raw.expected === 'RCurly') && raw.ruleName !== 'statement';
    if ((continuation || !t) && prev && (!t || t.startLine! > prev.endLine!)) {
      const end = builder.tokenSpan(prev);
      span = { ...end, line: end.endLine, col: end.endCol, offset: end.endOffset };
    }
    // one error per line, none on a line with a lexer error (the bad character
    // explains it), and none at the very token already complained about: what
    // follows a recovered error is often its echo
    if (span.line === lastLine || at === lastIndex || lexErrorLines.has(span.line)) continue;
    lastLine = span.line;
    lastIndex = at;
    const { message, help } = composeMessage(raw, ctx, t, at);
    out.push(makeDiagnostic('DNN0002', span, { message }, help ? { help } : {}));
  }
  return out;
}

function composeMessage(raw: RawSyntaxError, ctx: SyntaxContext, t: IToken | undefined, at: number): { message: string; help?: string } {
  const found = describeFound(t);
  const prev = at > 0 ? ctx.tokens[at - 1] : undefined;
  const after = prev ? ` after '${prev.image}'` : '';
  const rule = raw.ruleName;

  if (raw.kind === 'notAllInput') {
    return { message: `expected ${itemStart} at the top level, found ${found}` };
  }

  if (raw.kind === 'mismatch' && raw.expected) {
    const closer = closerText[raw.expected];
    if (closer) {
      const open = ctx.openBracket(at, openerFor[closer]);
      const what = open !== undefined ? ` to close ${ctx.describeOpener(open)}` : '';
      if (closer === '}' && t) return { message: `expected a statement or '}'${what}, found ${found}` };
      if (closer === ')' && rule === 'nameOrCall' && t && (t.image === ':' || t.image === '=')) {
        return { message: `expected ')'${what}, found ${found}`, help: "named arguments are written 'name: value'" };
      }
      return { message: `expected '${closer}'${what}, found ${found}` };
    }
    if (raw.expected === 'LCurly') {
      return { message: `expected '{' to start the body${after}, found ${found}` };
    }
    if (raw.expected === 'DType') {
      return { message: `expected a tensor type such as 'f32[B, 10]'${after}, found ${found}` };
    }
    if (raw.expected === 'Identifier' || raw.expected === 'AnyWord') {
      const hint = t && t.tokenType.name.startsWith('Kw_') ? { help: `'${t.image}' is a keyword and cannot be used as a name here` } : {};
      return { message: `expected a name${after}, found ${found}`, ...hint };
    }
    return { message: `expected ${describeExpected(raw.expected)}${after}, found ${found}` };
  }

  // no viable alternative / early exit: describe by the rule that failed
  const inExpression = ['primary', 'unary', 'power', 'postfix', 'multiplicative', 'additive', 'pipeline', 'comparison', 'notExpr', 'andExpr', 'expression', 'arg', 'indexItem'].includes(rule);
  if (inExpression) return { message: `expected an expression${after}, found ${found}` };
  switch (rule) {
    case 'statement':
      return { message: `expected a statement, found ${found}`, help: "a statement is a binding like 'x = ...', or starts with 'input', 'output', 'param', 'const', 'repeat', 'return', 'step' or 'sync'" };
    case 'nameStmt': {
      const hint = prev ? didYouMean(prev.image, ['input', 'output', 'param', 'const', 'repeat', 'return', 'step', 'sync']) : '';
      return { message: `expected '=' or ':'${after}, found ${found}`, help: hint ? hint.replace(/^; d/, 'D') : undefined };
    }
    case 'item':
    case 'program':
      return { message: `expected ${itemStart} at the top level, found ${found}` };
    case 'typeExpr':
      return { message: `expected a type such as 'f32[B, 10]' or 'int'${after}, found ${found}` };
    case 'tensorType':
      return { message: `expected a tensor type such as 'f32[B, 10]'${after}, found ${found}` };
    case 'scalarType':
      return { message: `expected one of 'int', 'float', 'bool', 'str'${after}, found ${found}` };
  }
  return { message: `unexpected ${found}${after}` };
}
