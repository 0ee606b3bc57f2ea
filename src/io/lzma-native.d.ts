// The part of lzma-native (liblzma bindings) that decompress.ts uses.
declare module "lzma-native" {
  import type { Transform } from "node:stream";

  /** An xz/lzma decoder stream; errors carry liblzma's return code as `name` (e.g. LZMA_DATA_ERROR). */
  export function createDecompressor(options?: { synchronous?: boolean; bufsize?: number; memlimit?: number }): Transform;
}
