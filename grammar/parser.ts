/**
 * The .dnn parser: a chevrotain CstParser with grammar rules only (no actions).
 * grammar/to-ast.ts turns its concrete syntax tree into the typed AST.
 *
 * Error recovery is on, so one run reports several independent syntax errors;
 * the CST it builds then has holes, which the AST builder skips.
 *
 * The grammar in EBNF is in docs/language.md. In short:
 *
 *   program    = { item | ";" }
 *   item       = model | block | train | param | const
 *   statement  = input | output | param | const | repeat | return | step | sync
 *              | name ( "=" expr [on] | ":" ( tensorType | expr ) [on] )
 *   expr       = andExpr { "or" andExpr }
 *   andExpr    = notExpr { "and" notExpr }
 *   notExpr    = "not" notExpr | comparison
 *   comparison = pipeline [ ("==" | "!=" | "<" | "<=" | ">" | ">=") pipeline ]   (no chains)
 *   pipeline   = additive { "|>" additive }          (pipe target checked later)
 *   additive   = multiplicative { ("+" | "-") multiplicative }
 *   multiplicative = unary { ("*" | "/" | "@") unary }
 *   unary      = ("-" | "+") unary | power
 *   power      = postfix [ "**" unary ]
 *   postfix    = primary { "[" indexItem { "," indexItem } "]" | "." word }
 *   primary    = number | string | true | false | name [ "(" args ")" ]
 *              | "(" expr ")" | "[" [ expr { "," expr } ] "]"
 */
import { CstParser, type IParserErrorMessageProvider, type IRecognitionException, type IToken } from 'chevrotain';
import * as T from './tokens.js';

/**
 * Error messages are composed later (grammar/index.ts) from the token stream,
 * which knows more context (the name of the call a ')' should close, ...).
 * Here each message is a small JSON record of what was expected.
 */
export interface RawSyntaxError {
  kind: 'mismatch' | 'noViableAlt' | 'earlyExit' | 'notAllInput';
  /** the token type name that was expected (mismatch only) */
  expected?: string;
  ruleName: string;
}

const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }) {
    return JSON.stringify({ kind: 'mismatch', expected: expected.name, ruleName } satisfies RawSyntaxError);
  },
  buildNotAllInputParsedMessage({ ruleName }) {
    return JSON.stringify({ kind: 'notAllInput', ruleName } satisfies RawSyntaxError);
  },
  buildNoViableAltMessage({ ruleName }) {
    return JSON.stringify({ kind: 'noViableAlt', ruleName } satisfies RawSyntaxError);
  },
  buildEarlyExitMessage({ ruleName }) {
    return JSON.stringify({ kind: 'earlyExit', ruleName } satisfies RawSyntaxError);
  },
};

/** Ends a parse whose recovery has recorded `maxErrors` errors; `token` is where it stopped. */
export class SyntaxErrorLimit extends Error {
  constructor(readonly token: IToken) {
    super('too many syntax errors');
    this.name = 'SyntaxErrorLimit';
  }
}

/** chevrotain's own SAVE_ERROR (not in its type declarations): records a recognition error and returns it. */
const saveError = (CstParser.prototype as unknown as { SAVE_ERROR(this: CstParser, e: IRecognitionException): IRecognitionException }).SAVE_ERROR;

export class DnnParser extends CstParser {
  /** the most errors a parse records before it ends (grammar/index.ts sets MAX_SYNTAX_ERRORS) */
  maxErrors = Infinity;

  /** chevrotain records each error here; past the limit the parse ends (SyntaxErrorLimit), since its recovery costs work per error */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    if (this.errors.length >= this.maxErrors) throw new SyntaxErrorLimit(error.token);
    return saveError.call(this, error);
  }

  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: messageProvider,
      nodeLocationTracking: 'none',
    });
    this.performSelfAnalysis();
  }

  // ------------------------------------------------------------- top level

  program = this.RULE('program', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Semicolon) },
        { ALT: () => this.SUBRULE(this.item) },
      ]);
    });
  });

  item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
    ]);
  });

  modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.body);
  });

  blockDecl = this.RULE('blockDecl', () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.blockParam) });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.typeExpr);
    });
    this.SUBRULE(this.body);
  });

  blockParam = this.RULE('blockParam', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  trainDecl = this.RULE('trainDecl', () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.onClause));
    this.SUBRULE(this.body);
  });

  onClause = this.RULE('onClause', () => {
    this.CONSUME(T.On);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
  });

  body = this.RULE('body', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      // the last alternative skips a token that cannot start a statement (recovery;
      // grammar/index.ts reports it), so one bad line does not swallow the body
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          { ALT: () => this.CONSUME(T.Semicolon) },
          { ALT: () => this.SUBRULE(this.statement) },
          { ALT: () => this.CONSUME(T.Stray) },
        ],
      });
    });
    this.CONSUME(T.RCurly);
  });

  // ------------------------------------------------------------ statements

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.repeatStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.stepStmt) },
      { ALT: () => this.SUBRULE(this.syncStmt) },
      { ALT: () => this.SUBRULE(this.nameStmt) },
    ]);
  });

  inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.tensorType);
  });

  outputDecl = this.RULE('outputDecl', () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.tensorType);
  });

  paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.definition) });
  });

  constDecl = this.RULE('constDecl', () => {
    this.CONSUME(T.Const);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.definition) });
  });

  definition = this.RULE('definition', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  repeatStmt = this.RULE('repeatStmt', () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier);
    });
    this.SUBRULE(this.body);
  });

  returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  stepStmt = this.RULE('stepStmt', () => {
    this.CONSUME(T.Step);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.body);
  });

  syncStmt = this.RULE('syncStmt', () => {
    this.CONSUME(T.Sync);
    this.CONSUME(T.Identifier, { LABEL: 'from' });
    this.CONSUME(T.Arrow);
    this.CONSUME2(T.Identifier, { LABEL: 'to' });
    this.OPTION(() => {
      this.CONSUME(T.Every);
      this.SUBRULE(this.expression, { LABEL: 'every' });
      this.OPTION2(() => this.CONSUME(T.Steps));
    });
    this.OPTION3(() => {
      this.CONSUME(T.Tau);
      this.OPTION4(() => this.CONSUME(T.Colon));
      this.SUBRULE2(this.expression, { LABEL: 'tau' });
    });
  });

  /** `name = expr [on ...]`, `name: expr` (a field) or `name: f32[B]` (a train input). */
  nameStmt = this.RULE('nameStmt', () => {
    this.CONSUME(T.Identifier);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expression);
          this.OPTION(() => this.SUBRULE(this.onClause));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.OR2([
            { ALT: () => this.SUBRULE(this.tensorType) },
            {
              ALT: () => {
                this.SUBRULE2(this.expression);
                this.OPTION2(() => this.SUBRULE2(this.onClause));
              },
            },
          ]);
        },
      },
    ]);
  });

  // ----------------------------------------------------------------- types

  typeExpr = this.RULE('typeExpr', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.tensorType) },
      { ALT: () => this.SUBRULE(this.scalarType) },
    ]);
  });

  tensorType = this.RULE('tensorType', () => {
    this.CONSUME(T.DType);
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });

  scalarType = this.RULE('scalarType', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Int) },
      { ALT: () => this.CONSUME(T.Float) },
      { ALT: () => this.CONSUME(T.Bool) },
      { ALT: () => this.CONSUME(T.Str) },
    ]);
  });

  // ----------------------------------------------------------- expressions

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  /** comparisons do not chain: a second one is reported by the AST builder */
  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.pipeline);
    this.MANY(() => {
      this.CONSUME(T.Comparison);
      this.SUBRULE2(this.pipeline);
    });
  });

  pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(T.PipeOp);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.At) },
      ]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Plus) }]);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.power) },
    ]);
  });

  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(T.StarStar);
      this.SUBRULE(this.unary);
    });
  });

  /** primary followed by index `[...]` and member `.name` suffixes; children keep source order. */
  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.indexSuffix) },
        { ALT: () => this.SUBRULE(this.memberSuffix) },
      ]);
    });
  });

  indexSuffix = this.RULE('indexSuffix', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.indexItem) });
    this.CONSUME(T.RBracket);
  });

  memberSuffix = this.RULE('memberSuffix', () => {
    this.CONSUME(T.Dot);
    this.CONSUME(T.AnyWord);
  });

  /** `expr`, or a slice `start? : end? (: step?)?` */
  indexItem = this.RULE('indexItem', () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.expression, { LABEL: 'start' });
          this.OPTION(() => this.SUBRULE(this.sliceTail));
        },
      },
      { ALT: () => this.SUBRULE2(this.sliceTail) },
    ]);
  });

  sliceTail = this.RULE('sliceTail', () => {
    this.CONSUME(T.Colon);
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'end' }));
    this.OPTION2(() => {
      this.CONSUME2(T.Colon, { LABEL: 'stepColon' });
      this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'step' }));
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listExpr) },
    ]);
  });

  nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
      this.CONSUME(T.RParen);
    });
  });

  arg = this.RULE('arg', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.AnyWord, { LABEL: 'argName' });
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE2(this.expression) },
    ]);
  });

  parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  listExpr = this.RULE('listExpr', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
  });
}

/** One shared parser: building it (grammar analysis) is the expensive part. */
let shared: DnnParser | undefined;
export function getParser(): DnnParser {
  shared ??= new DnnParser();
  return shared;
}

