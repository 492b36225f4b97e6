/**
 * Finding a WebGPU adapter and opening a device on it with the adapter's real limits, and
 * the typed errors for a missing adapter, a lost device and an uncaptured GPU error.
 *
 * @module
 */

import { GradmeshError } from "../core/errors.ts";

/** No WebGPU implementation or no adapter: the message says what to install. */
export class GpuUnavailableError extends GradmeshError {
  /** `detail`: why no GPU could be used. */
  constructor(detail: string) {
    super(
      `${detail}: install Mesa's Vulkan driver (apt-get install -y mesa-vulkan-drivers ` +
        `libegl-mesa0), or use --backend cpu`,
    );
  }
}

/** The device went away (driver reset, out of memory, or destroyed while in use). */
export class GpuDeviceLostError extends GradmeshError {
  constructor(readonly reason: string, detail: string) {
    super(`WebGPU device lost (${reason}): ${detail}`);
  }
}

/** A validation, out-of-memory or internal error that no error scope caught. */
export class GpuValidationError extends GradmeshError {
  constructor(readonly kind: string, detail: string) {
    super(`WebGPU ${kind}: ${detail}`);
  }
}

/** A request beyond what the device can do, e.g. binding more bytes than it allows. */
export class GpuLimitError extends GradmeshError {
  constructor(readonly limit: string, detail: string) {
    super(`${detail} (device limit ${limit})`);
  }
}

/** What the adapter says about itself. */
export interface AdapterSummary {
  /** Vendor name or PCI id, e.g. `nvidia` or `4318`. */
  vendor: string;
  /** GPU family where the driver says, e.g. `hopper`; often empty. */
  architecture: string;
  /** The driver's name for the device, e.g. `NVIDIA H100 80GB HBM3`. */
  description: string;
  /** A CPU implementation (Mesa llvmpipe/lavapipe, SwiftShader) or the fallback adapter. */
  isSoftware: boolean;
}

/** An open device and what was learnt about its adapter. */
export interface Gpu {
  /** The device, opened with the adapter's limits. */
  readonly device: GPUDevice;
  /** What the adapter said about itself. */
  readonly adapter: AdapterSummary;
  /** One line for logs, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) [software]`. */
  readonly description: string;
  /** Same as `adapter.isSoftware`. */
  readonly isSoftware: boolean;
  /** Whether the device was opened with `timestamp-query` (for kernel timing). */
  readonly hasTimestampQuery: boolean;
  /** Throws the first device loss or uncaptured error seen so far; they arrive asynchronously. */
  throwIfFailed(): void;
}

/** Options of {@link acquireGpu}. */
export interface AcquireGpuOptions {
  /** Which adapter to prefer; `high-performance` unless given. */
  powerPreference?: GPUPowerPreference;
  /** The WebGPU entry point; `navigator.gpu` unless given (tests pass a stand-in). */
  gpu?: Pick<GPU, "requestAdapter">;
}

// The defaults of these are far below what real adapters offer (128 MiB bindings, 16 KiB
// of workgroup memory), so the device asks for whatever the adapter has.
const REQUESTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxBindGroups",
  "maxDynamicUniformBuffersPerPipelineLayout",
  "maxUniformBufferBindingSize",
  "minStorageBufferOffsetAlignment",
  "minUniformBufferOffsetAlignment",
] as const;

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader/i;

/**
 * Requests a high-performance adapter and a device with the adapter's limits and, when
 * offered, `timestamp-query`.
 *
 * @example
 * ```ts
 * import { acquireGpu, GpuUnavailableError } from "./device.ts";
 * try {
 *   const gpu = await acquireGpu();
 *   console.log(gpu.description);
 *   gpu.device.destroy();
 * } catch (e) {
 *   if (!(e instanceof GpuUnavailableError)) throw e;
 * }
 * ```
 */
export async function acquireGpu(options: AcquireGpuOptions = {}): Promise<Gpu> {
  // Mesa's Vulkan loader prints an error without it; any writable directory will do.
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
  const entry = options.gpu ?? (navigator.gpu as GPU | undefined);
  if (!entry) throw new GpuUnavailableError("this runtime has no navigator.gpu");
  const adapter = await entry.requestAdapter({
    powerPreference: options.powerPreference ?? "high-performance",
  });
  if (!adapter) throw new GpuUnavailableError("no WebGPU adapter found");

  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const hasTimestampQuery = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    requiredLimits,
    requiredFeatures: [
      ...(hasTimestampQuery ? ["timestamp-query" as const] : []),
      ...(offersSubgroups(adapter) ? ["subgroups" as GPUFeatureName] : []),
    ],
  });

  const info = adapter.info;
  const isSoftware = info.isFallbackAdapter ||
    SOFTWARE_ADAPTER.test(`${info.description} ${info.device}`);
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isSoftware,
  };
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(" ");
  return {
    device,
    adapter: summary,
    description: `${name || "unknown adapter"}${isSoftware ? " [software]" : ""}`,
    isSoftware,
    hasTimestampQuery,
    throwIfFailed: watchFailures(device),
  };
}

/**
 * Whether to ask for `subgroups` (the matmul family's `-sg` variant uses it): when the
 * adapter lists it, or gives a subgroup size, as Deno's llvmpipe adapter does without
 * listing the feature (its devices accept it all the same).
 */
function offersSubgroups(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number };
  return adapter.features.has("subgroups" as GPUFeatureName) || (info?.subgroupMinSize ?? 0) > 0;
}

/** Records the first loss or uncaptured error of `device`; the result rethrows it. */
function watchFailures(device: GPUDevice): () => void {
  let failure: GradmeshError | null = null;
  device.lost.then((info) => {
    // Our own destroy() is the normal end of a device, not a failure.
    if (info.reason !== "destroyed") failure ??= new GpuDeviceLostError(info.reason, info.message);
  });
  device.addEventListener("uncapturederror", (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    failure ??= new GpuValidationError(error.constructor.name, error.message.trim());
  });
  return () => {
    if (failure) throw failure;
  };
}
