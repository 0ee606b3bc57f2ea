/**
 * Why a test may be skipped. A test that skips declares its reason in its meta (`meta: { skipReason }`, set on the
 * test or on its describe), and .ci/summary.mjs accepts a skip only for a reason on its allow-list, for the files
 * it names. Anything else that skips fails CI.
 */
export type SkipReason =
  /** The Debian mirror a live test needs cannot be reached: no DNS answer, no route, or the connection times out. */
  "NETWORK_UNREACHABLE";

declare module "vitest" {
  interface TaskMeta {
    skipReason?: SkipReason;
  }
}

/** Options for a describe or test that skips, and says why, when `reason` is defined. */
export function skipWhen(reason: SkipReason | undefined): { skip: boolean; meta: { skipReason?: SkipReason } } {
  return reason === undefined ? { skip: false, meta: {} } : { skip: true, meta: { skipReason: reason } };
}
