import { ParseError } from "../../src/core/errors.js";

/** The ParseError `fn` throws; any other outcome fails the test. */
export function parseErrorOf(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error("expected a ParseError");
}
