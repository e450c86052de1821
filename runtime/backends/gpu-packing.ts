/**
 * Where tensors lie on a WebGPU device when several share one buffer, and
 * the table of a packed multi-tensor dispatch (WgslPackedPass): the rules the
 * webgpu backend and the GPU bench's runner both follow.
 *
 * - Tensors that share a buffer (the store arena of params and state, the
 *   slots of one pack) are laid one after another, each at an offset aligned
 *   to 256 bytes (the largest minStorageBufferOffsetAlignment WebGPU allows),
 *   so any of them can be bound as a range.
 * - A packed dispatch binds, per role, the one buffer holding every member's
 *   operand of that role (roles may share a binding: the in-place updates in
 *   the store arena), and a u32 table [member][role] of element offsets.
 */
import type { ProgramBuffer, WgslPackedPass } from '../program.js';

/** A tensor's range of a device buffer. */
export interface GpuSlice {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export const PACK_ALIGN = 256;

/** Bytes of a tensor of n elements in storage (bool as u32; never 0). */
export const storageBytes = (n: number) => Math.max(4, n * 4);

/** Offsets of tensors of `sizes` bytes laid one after another, each aligned. */
export function layout(sizes: number[], align = PACK_ALIGN): { offsets: number[]; total: number } {
  let total = 0;
  const offsets = sizes.map((n) => {
    const at = Math.ceil(total / align) * align;
    total = at + n;
    return at;
  });
  return { offsets, total: Math.max(4, total) };
}

/** The slots of an entry's packs, by pack number (temps with the same ProgramBuffer.pack). */
export function packSlots(buffers: ProgramBuffer[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  buffers.forEach((b, i) => {
    if (b.kind === 'temp' && b.pack !== undefined) out.set(b.pack, [...(out.get(b.pack) ?? []), i]);
  });
  return out;
}

/** The binding of each role of a packed pass (reads, then writes). */
function roleBindings(p: WgslPackedPass): number[] {
  return p.bindings ?? [...p.reads, ...p.writes].map((_, i) => i);
}

/** The binding types of a packed pass: its bindings (writable when a write role uses it), then the table. */
export function packedBindingTypes(p: WgslPackedPass): GPUBufferBindingType[] {
  const of = roleBindings(p);
  const types: GPUBufferBindingType[] = [];
  of.forEach((b, role) => {
    if (role >= p.reads.length) types[b] = 'storage';
    else types[b] ??= 'read-only-storage';
  });
  return [...types, 'read-only-storage'];
}

/**
 * The buffer of each binding and the offset table of a packed pass over the
 * step's arguments, or undefined when the roles of a binding lie in different
 * buffers, or a writable binding's buffer is bound again (WebGPU refuses
 * overlapping writable bindings): then the per-member passes run instead.
 */
export function packedBindings(p: WgslPackedPass, args: GpuSlice[]): { buffers: GPUBuffer[]; table: Uint32Array; counts: [number, number, number] } | undefined {
  const roles = [...p.reads, ...p.writes];
  const of = roleBindings(p);
  const buffers: GPUBuffer[] = [];
  for (let role = 0; role < roles.length; role++) {
    const b = of[role];
    buffers[b] ??= args[roles[role][0]].buffer;
    if (!roles[role].every((a) => args[a].buffer === buffers[b])) return undefined;
  }
  const writable = new Set(of.slice(p.reads.length));
  for (const w of writable) if (buffers.some((buf, b) => b !== w && buf === buffers[w])) return undefined;
  const members = p.lengths.length;
  const table = new Uint32Array(members * roles.length);
  for (let m = 0; m < members; m++) roles.forEach((r, i) => (table[m * roles.length + i] = args[r[m]].offset / 4));
  return { buffers, table, counts: [Math.ceil(Math.max(...p.lengths) / p.workgroupSize), members, 1] };
}
