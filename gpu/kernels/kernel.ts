/**
 * A kernel is WGSL plus the signature the backend binds it by: its storage bindings
 * (group 0, in order) and its uniform parameters (group 1, one dynamic-offset slot per
 * dispatch). The WGSL declarations of both are generated from that signature, so the
 * TypeScript that fills a slot and the struct the shader reads cannot drift apart; the
 * `.wgsl` files hold only functions and entry points.
 *
 * @module
 */

import activationMath from "./activation_math.wgsl" with { type: "text" };
import common from "./common.wgsl" with { type: "text" };

/** How a kernel uses a storage binding. */
export type Access = "read" | "read_write";

/** A uniform parameter: a scalar, or `count` u32s packed as `array<vec4<u32>, count / 4>`. */
export interface ParamField {
  readonly name: string;
  readonly type: "u32" | "f32";
  readonly count?: number;
}

/** Byte offset of each field in the uniform slot (WGSL's uniform layout rules). */
export interface ParamLayout {
  readonly fields: readonly (ParamField & { offset: number })[];
  readonly bytes: number;
}

/** A compiled-once description of one kernel variant. */
export interface Kernel {
  /** Cache key: the kernel's name and every compile-time constant. */
  readonly key: string;
  readonly code: string;
  /** Access of each group-0 binding, in binding order. */
  readonly access: readonly Access[];
  readonly params: ParamLayout;
}

/** Everything {@link defineKernel} needs. */
export interface KernelSpec {
  key: string;
  /** Storage bindings in order; the element type is `f32` unless given (`vec4<f32>`). */
  bindings: readonly (readonly [name: string, access: Access, element?: "f32" | "vec4<f32>"])[];
  params: readonly ParamField[];
  /** Compile-time constants, emitted as WGSL `const`s (numbers as u32). */
  constants?: Readonly<Record<string, number | boolean>>;
  /** WGSL sources appended after the generated declarations, in order. */
  sources: readonly string[];
}

/** Threads per workgroup of the one-thread-per-element kernels (`WG` in WGSL). */
export const FLAT_WORKGROUP = 256;

/** Threads per workgroup of the one-workgroup-per-row kernels (`ROW_WG` in WGSL). */
export const ROW_WORKGROUP = 64;

/** Builds the WGSL of a kernel from its signature and body. */
export function defineKernel(spec: KernelSpec): Kernel {
  const params = layoutParams(spec.params);
  const struct = params.fields.map((f) =>
    `  ${f.name}: ${f.count ? `array<vec4<u32>, ${f.count / 4}>` : f.type},`
  );
  const bindings = spec.bindings.map(([name, access, element], i) =>
    `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<${element ?? "f32"}>;`
  );
  const constants = Object.entries({
    WG: FLAT_WORKGROUP,
    ROW_WG: ROW_WORKGROUP,
    ...spec.constants,
  }).map(([name, v]) => `const ${name} = ${typeof v === "boolean" ? v : `${v}u`};`);
  const code = [
    `struct Params {\n${struct.join("\n")}\n}`,
    `@group(1) @binding(0) var<uniform> params: Params;`,
    ...bindings,
    ...constants,
    common,
    activationMath,
    ...spec.sources,
  ].join("\n");
  return { key: spec.key, code, access: spec.bindings.map(([, a]) => a), params };
}

const kernels = new Map<string, Kernel>();

/** The kernel cached under `key`, built by `build` the first time it is asked for. */
export function memoKernel(key: string, build: (key: string) => Kernel): Kernel {
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, kernel = build(key));
  return kernel;
}

function layoutParams(fields: readonly ParamField[]): ParamLayout {
  if (fields.length === 0) throw new RangeError("a kernel needs at least one parameter");
  let offset = 0;
  const placed = fields.map((f) => {
    if (f.count !== undefined && (f.count % 4 !== 0 || f.type !== "u32")) {
      throw new RangeError(`parameter ${f.name}: arrays are u32 with a multiple of 4 elements`);
    }
    // Arrays of vec4 are 16-byte aligned in the uniform address space; scalars 4-byte.
    if (f.count) offset = Math.ceil(offset / 16) * 16;
    const at = { ...f, offset };
    offset += f.count ? f.count * 4 : 4;
    return at;
  });
  return { fields: placed, bytes: offset };
}

/** A parameter value: a number for a scalar, an array (zero-padded) for an array field. */
export type ParamValue = number | readonly number[];

/** Writes `values` (one per field, in order) into a uniform slot at byte `base`. */
export function writeParams(
  view: DataView,
  base: number,
  layout: ParamLayout,
  values: readonly ParamValue[],
): void {
  layout.fields.forEach((f, i) => {
    const v = values[i];
    if (typeof v !== "number") {
      for (let j = 0; j < f.count!; j++) view.setUint32(base + f.offset + 4 * j, v[j] ?? 0, true);
    } else if (f.type === "u32") view.setUint32(base + f.offset, v, true);
    else view.setFloat32(base + f.offset, v, true);
  });
}
