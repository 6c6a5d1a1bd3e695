/**
 * Type declarations of what native/*.cc export. Each native module's owner extends NativeAddon
 * with its functions (one interface per module, merged here).
 */

/** The object build/Release/ulvs_native.node exports. */
export interface NativeAddon {
  /** ABI version of the compiled addon (native/addon.cc kAbiVersion). */
  abiVersion: number;
  [name: string]: unknown;
}
