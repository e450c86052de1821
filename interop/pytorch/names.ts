/**
 * Python names for the generated package: identifiers that are neither
 * keywords nor names nn.Module already uses, unique within one scope, and
 * the attribute chains that reach a layer's module (`self.conv2d_1`,
 * `self.layers['0'].attention_1`).
 */

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** Python's builtins, which a local variable must not hide (a binding called `len`). */
export const BUILTINS = 'abs all any bool dict enumerate filter float format hash id input int isinstance iter len list map max min next object open pow print range repr reversed round set slice sorted str sum super tuple type vars zip'.split(' ');

/** Names nn.Module (and nn.ModuleDict) define: a layer called `training` or `to` cannot be an attribute. */
const MODULE_ATTRIBUTES = new Set(
  'T_destination add_module apply bfloat16 buffers call_super_init children clear cpu cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu items keys load_state_dict modules named_buffers named_children named_modules named_parameters parameters pop register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook register_module register_parameter requires_grad_ set_extra_state share_memory state_dict to to_empty train training type update values xpu zero_grad'.split(
    ' ',
  ),
);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Can `name` be written as `.name` on a module? */
export function isAttribute(name: string): boolean {
  return IDENT.test(name) && !KEYWORDS.has(name) && !MODULE_ATTRIBUTES.has(name) && !name.startsWith('_');
}

/** A Python identifier made from `name` (invalid characters become '_', keywords get a trailing '_'). */
export function identifier(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(s)) s = `v_${s}`;
  return KEYWORDS.has(s) ? `${s}_` : s;
}

/** `base` followed by the path's segments: `.seg` where that works, `['seg']` (a ModuleDict key) otherwise. */
export function attributeChain(base: string, segments: readonly string[]): string {
  return segments.reduce((acc, s) => (isAttribute(s) ? `${acc}.${s}` : `${acc}[${JSON.stringify(s)}]`), base);
}

/** Hands out unique identifiers: `h`, `h_2`, ... */
export class NameScope {
  private taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r);
  }

  take(wanted: string): string {
    const base = identifier(wanted);
    let n = base;
    for (let k = 2; this.taken.has(n); k++) n = `${base}_${k}`;
    this.taken.add(n);
    return n;
  }
}
