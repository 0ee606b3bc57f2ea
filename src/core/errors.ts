import type { ErrorCode } from "./error-codes.js";

/**
 * The one error hierarchy of deb-lock. Every error a person can see carries a stable `code` (one of
 * ERROR_CODES, src/core/error-codes.ts), a message that says what failed and where, and a `hint` with the next
 * step. The class decides the exit code (src/cli/exit-codes.ts maps it); nothing else decides exit codes:
 * UsageError 2, FetchError and VerificationError 3, InternalError 70, every other DebLockError 1.
 */
export class DebLockError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad command line: unknown flag, missing argument, contradictory options. Exit 2. */
export class UsageError extends DebLockError {
  constructor(message: string, options: { hint?: string; code?: ErrorCode } = {}) {
    super(options.code ?? "USAGE", message, { hint: options.hint });
  }
}

/** A file of the user's (or an archive file) that does not parse. Exit 1. */
export class ParseError extends DebLockError {
  readonly file: string;
  readonly line: number | undefined;
  readonly col: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    where: { file: string; line?: number; col?: number },
    options: { hint?: string; cause?: unknown } = {},
  ) {
    const pos = where.line === undefined ? where.file : `${where.file}:${where.line}${where.col === undefined ? "" : `:${where.col}`}`;
    super(code, `${pos}: ${message}`, options);
    this.file = where.file;
    this.line = where.line;
    this.col = where.col;
  }
}

/** The workspace or a manifest is inconsistent, or dependencies cannot be resolved. Exit 1. */
export class ProblemError extends DebLockError {}

/** Network failure: refused, timed out, HTTP error after retries. Exit 3. */
export class FetchError extends DebLockError {
  readonly url: string;
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, where: { url: string; status?: number }, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.url = redactUrl(where.url);
    this.status = where.status;
  }
}

/** Archive data that fails verification: signature, unknown signer, hash or size mismatch. Exit 3. */
export class VerificationError extends DebLockError {
  readonly url: string | undefined;

  constructor(code: ErrorCode, message: string, options: { url?: string; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.url = options.url === undefined ? undefined : redactUrl(options.url);
  }
}

/**
 * A broken invariant of deb-lock itself (an edit that did not take, a change set naming a file twice): a bug,
 * never the user's doing. Exit 70. The hint asks for a report.
 */
export class InternalError extends DebLockError {
  constructor(code: ErrorCode, message: string, options: { report?: string; cause?: unknown } = {}) {
    super(code, message, {
      hint: `this is a bug in deb-lock; please report it with the command you ran${options.report === undefined ? "" : ` and ${options.report}`}`,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
  }
}

/** The run was stopped by a signal (SIGINT, SIGTERM) and cleaned up after itself. Exit 128 + the signal's number. */
export class InterruptedError extends DebLockError {
  readonly signal: string;

  constructor(signal: string, outcome: string) {
    super("INTERRUPTED", `interrupted by ${signal}; ${outcome}`, { hint: "run the command again to make the change" });
    this.signal = signal;
  }
}

/** Removes user:password from a URL so it can be printed. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1***@");
}

/**
 * Removes the userinfo (user:password@) of every URL in a text, wherever it appears: progress lines, messages,
 * findings, JSON. Applied to everything deb-lock prints, so a credential in a manifest or --mirror never shows.
 */
export function redactUrls(text: string): string {
  return text.includes("@") ? text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s"'<>]*@/gi, "$1***@") : text;
}
