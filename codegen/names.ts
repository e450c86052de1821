/**
 * Names in generated code. A user's names (models, trainers, layers, dims)
 * keep their spelling wherever the user sees them: signatures, weight keys,
 * error messages, strings. Where one becomes an identifier of the generated
 * JS, TS or WGSL, it goes through `mangle` (through a NameTable where two
 * names could meet), and where it lands in a comment, through `commentText`.
 *
 *   mangle('LeNet') = 'LeNet'      mangle('delete') = 'delete_'
 *   mangle('größe') = 'grosse'     mangle('loop') = 'loop_'   (WGSL keyword)
 *   mangle('9lives') = '_9lives'   mangle('__x') = '_x'       (WGSL: no leading '__')
 */

/** Reserved words of JavaScript (strict mode, modules) and names that cannot be bound there. */
export const jsReserved: ReadonlySet<string> = new Set([
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null',
  'package', 'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var',
  'void', 'while', 'with', 'yield', 'arguments', 'eval',
]);

/** TypeScript's keywords beyond JavaScript's (most are contextual; none is worth the risk). */
export const tsReserved: ReadonlySet<string> = new Set([
  'abstract', 'accessor', 'any', 'as', 'asserts', 'async', 'bigint', 'boolean', 'constructor', 'declare', 'from', 'get', 'global', 'infer',
  'intrinsic', 'is', 'keyof', 'module', 'namespace', 'never', 'number', 'object', 'of', 'out', 'override', 'readonly', 'require',
  'satisfies', 'set', 'string', 'symbol', 'type', 'undefined', 'unique', 'unknown',
]);

/** WGSL's keywords, reserved words and predeclared type names. */
export const wgslReserved: ReadonlySet<string> = new Set([
  // keywords
  'alias', 'break', 'case', 'const', 'const_assert', 'continue', 'continuing', 'default', 'diagnostic', 'discard', 'else', 'enable',
  'false', 'fn', 'for', 'if', 'let', 'loop', 'override', 'requires', 'return', 'struct', 'switch', 'true', 'var', 'while',
  // reserved words
  'NULL', 'Self', 'abstract', 'active', 'alignas', 'alignof', 'as', 'asm', 'asm_fragment', 'async', 'attribute', 'auto', 'await',
  'become', 'binding_array', 'cast', 'catch', 'class', 'co_await', 'co_return', 'co_yield', 'coherent', 'column_major', 'common',
  'compile', 'compile_fragment', 'concept', 'const_cast', 'consteval', 'constexpr', 'constinit', 'crate', 'debugger', 'decltype',
  'delete', 'demote', 'demote_to_helper', 'do', 'dynamic_cast', 'enum', 'explicit', 'export', 'extends', 'extern', 'external',
  'fallthrough', 'filter', 'final', 'finally', 'friend', 'from', 'fxgroup', 'get', 'goto', 'groupshared', 'highp', 'impl',
  'implements', 'import', 'inline', 'instanceof', 'interface', 'layout', 'lowp', 'macro', 'macro_rules', 'match', 'mediump', 'meta',
  'mod', 'module', 'move', 'mut', 'mutable', 'namespace', 'new', 'nil', 'noexcept', 'noinline', 'nointerpolation', 'noperspective',
  'null', 'nullptr', 'of', 'operator', 'package', 'packoffset', 'partition', 'pass', 'patch', 'pixelfragment', 'precise', 'precision',
  'premerge', 'priv', 'protected', 'pub', 'public', 'readonly', 'ref', 'regardless', 'register', 'reinterpret_cast', 'require',
  'resource', 'restrict', 'self', 'set', 'shared', 'sizeof', 'smooth', 'snorm', 'static', 'static_assert', 'static_cast', 'std',
  'subroutine', 'super', 'target', 'template', 'this', 'thread_local', 'throw', 'trait', 'try', 'type', 'typedef', 'typeid',
  'typename', 'typeof', 'union', 'unless', 'unorm', 'unsafe', 'unsized', 'use', 'using', 'varying', 'virtual', 'volatile', 'wgsl',
  'where', 'with', 'writeonly', 'yield',
  // predeclared types (legal to shadow, but not worth confusing a shader compiler)
  'bool', 'f16', 'f32', 'i32', 'u32', 'vec2', 'vec3', 'vec4', 'mat2x2', 'mat2x3', 'mat2x4', 'mat3x2', 'mat3x3', 'mat3x4', 'mat4x2',
  'mat4x3', 'mat4x4', 'array', 'atomic', 'ptr', 'sampler', 'sampler_comparison', 'texture_1d', 'texture_2d', 'texture_2d_array',
  'texture_3d', 'texture_cube', 'texture_cube_array', 'texture_multisampled_2d', 'texture_storage_2d',
]);

/**
 * What the generated code itself uses: the runtime's imports, the module's
 * own exports, the globals its kernels call, and the kernel parameters.
 */
export const generatedNames: ReadonlySet<string> = new Set([
  'signature', 'create', 'instantiate', 'instantiateTrainer', 'generate', 'Model', 'Tensor', 'TensorInput', 'Signature', 'CreateOptions',
  'StepResult', 'TypedArray', 'Dims', 'Program', 'GpujsKernelSpec', 'WgslKernelSpec', 'Trainer', 'TrainerProgram', 'GenerateOptions',
  'PredictOptions', 'TensorInputOf', 'TensorOf', 'ArrayOfDType', 'Math', 'Number', 'Object', 'Array', 'Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Uint32Array',
  'Infinity', 'NaN', 'globalThis', 'Error', 'Promise', 'JSON', 'Symbol', 'BigInt', 'Date', 'console', 'ins', 'outs', 'dims', 'main',
]);

/** Names the generators give their own variables: in0, out1, v12 (value temporaries), k3, a0, t1, ... */
const generatorStyle = /^(?:in|out|v|k|a|t|b|i|j|n|o|r|w|x|h|c|s|acc|idx)\d+$/;

const reserved = (s: string) => jsReserved.has(s) || tsReserved.has(s) || wgslReserved.has(s) || generatedNames.has(s) || generatorStyle.test(s);

/**
 * An identifier valid in JS, TS and WGSL for a user's name: accents dropped
 * (NFKD), every run of other characters outside [A-Za-z0-9_] one '_', no
 * leading '__' (WGSL), '_' before a leading digit, and '_' after a reserved
 * word. Different names may meet (`a-b`, `a_b`): a NameTable keeps them apart.
 */
export function mangle(name: string): string {
  let s = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_{2,}/, '_');
  if (s === '' || s === '_') s = '_n';
  if (/^[0-9]/.test(s)) s = `_${s}`;
  if (reserved(s)) s = `${s}_`;
  return s;
}

/** Identifiers handed out in one scope of generated code: each name once, collisions get a numeric suffix. */
export class NameTable {
  private readonly used = new Set<string>();

  /** Keep `ident` (a fixed identifier of the generated code) from being handed out. */
  reserve(ident: string): void {
    this.used.add(ident);
  }

  has(ident: string): boolean {
    return this.used.has(ident);
  }

  /**
   * The identifier for `name`: mangle(name), with `_2`, `_3`, ... appended
   * until it and every form `derived` makes of it (`${id}Program`) are free;
   * then all of them are taken.
   */
  claim(name: string, derived: (id: string) => string[] = () => []): string {
    const base = mangle(name);
    let id = base;
    for (let k = 2; [id, ...derived(id)].some((x) => this.used.has(x) || (x !== id && reserved(x))); k++) id = `${base}_${k}`;
    this.used.add(id);
    for (const x of derived(id)) this.used.add(x);
    return id;
  }
}

/** Text safe inside a `//` or `/* *\/` comment of JS, TS or WGSL: one line, no comment end. */
export function commentText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029\u0085\u000b\u000c]+/g, ' ').replace(/\*\//g, '* /');
}
