import { readFile } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { rootCertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";
import { DebLockError, FetchError, redactUrl } from "../core/errors.js";
import { concatBytes } from "./bytes.js";
import { applyMirrors, type MirrorRule } from "./mirrors.js";
import { type Credentials, findNetrcCredentials, type NetrcEntry, readNetrc } from "./netrc.js";

/** A successful (2xx) response, fully read. */
export interface HttpResponse {
  /** The canonical URL that was asked for (as recorded in locks), credentials redacted. */
  readonly url: string;
  /** Where the bytes came from: after mirror rules and redirects, credentials redacted. */
  readonly fetchedUrl: string;
  readonly status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export interface HttpEvent {
  readonly type: "start" | "retry" | "done" | "fail";
  /** Canonical URL, credentials redacted. */
  readonly url: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly status?: number;
  readonly bytes?: number;
  /** For "retry": how long until the next attempt. */
  readonly delayMs?: number;
  /** For "retry" and "fail": the error code (HTTP_STATUS, NETWORK, TIMEOUT, TRUNCATED, ...). */
  readonly code?: string;
}

/** The port the rest of deb-lock fetches through; tests substitute their own. */
export interface HttpClient {
  /**
   * `maxBytes`: the most the body may hold (the size a signed Release states, or a cap); a larger
   * Content-Length or body fails at once with TOO_LARGE instead of being read into memory.
   */
  get(url: string, init?: { signal?: AbortSignal; maxBytes?: number }): Promise<HttpResponse>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

export interface HttpClientOptions {
  mirrors?: MirrorRule[];
  /** The environment to take proxy settings from (the CLI passes its env; nothing here reads process.env). */
  env?: Record<string, string | undefined>;
  /** A netrc file with credentials for private mirrors; a missing file means none. */
  netrcPath?: string;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter (default 500). */
  baseDelayMs?: number;
  /** Upper bound for any single wait, including a server's Retry-After (default 60000). */
  maxDelayMs?: number;
  /** Timeout for connecting, for the response headers, and between body chunks (default 60000). */
  timeoutMs?: number;
  /**
   * A transfer that receives less than 1 KiB in this long is stalled (a trickle of bytes keeps the per-chunk
   * timeout from firing): the attempt fails with TIMEOUT (default: timeoutMs).
   */
  stallTimeoutMs?: number;
  /** The most one get() may take, retries and their waits included (default 600000). */
  transferTimeoutMs?: number;
  /** Default `maxBytes` of a get() that states none (default 512 MiB). */
  maxBytes?: number;
  /** Requests in flight across all hosts (default 8). */
  maxConcurrency?: number;
  /** Connections kept per origin (default 6). */
  connectionsPerOrigin?: number;
  userAgent?: string;
  /**
   * Extra trusted CA certificates (PEM), added to Node's bundled ones, for mirrors behind a private CA. Without it
   * Node's defaults apply, which include NODE_EXTRA_CA_CERTS; with it, that variable's certificates are not added.
   */
  ca?: string;
  onEvent?: (e: HttpEvent) => void;
}

const MAX_REDIRECTS = 5;
/** Largest Content-Length trusted for a single up-front allocation (Debian indexes are tens of MB). */
const PREALLOCATE_LIMIT = 512 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  return new UndiciHttpClient(opts);
}

/** Internal per-attempt failure, carrying what the retry loop needs. */
class AttemptError extends Error {
  constructor(
    readonly code: "HTTP_STATUS" | "NETWORK" | "TIMEOUT" | "TRUNCATED" | "TOO_MANY_REDIRECTS" | "BAD_REDIRECT" | "TOO_LARGE" | "UNSUPPORTED_URL",
    readonly detail: string,
    readonly retryable: boolean,
    readonly fetchedUrl: string,
    readonly extra: { status?: number; retryAfterMs?: number; cause?: unknown; tls?: true } = {},
  ) {
    super(detail);
  }
}

class UndiciHttpClient implements HttpClient {
  readonly #mirrors: readonly MirrorRule[];
  readonly #env: Record<string, string | undefined>;
  readonly #retries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #stallTimeoutMs: number;
  readonly #transferTimeoutMs: number;
  readonly #maxBytes: number;
  /** Aborted by close(): requests still in flight or waiting to retry stop at once, silently. */
  readonly #closed = new AbortController();
  readonly #userAgent: string;
  readonly #onEvent: (e: HttpEvent) => void;
  readonly #limit: Semaphore;
  readonly #agentOptions: Agent.Options;
  readonly #ca: string[] | undefined;
  readonly #netrc: Promise<NetrcEntry[]>;
  #direct: Agent | undefined;
  readonly #proxies = new Map<string, ProxyAgent>();

  constructor(opts: HttpClientOptions) {
    this.#mirrors = opts.mirrors ?? [];
    this.#env = opts.env ?? {};
    this.#retries = opts.retries ?? 4;
    this.#baseDelayMs = opts.baseDelayMs ?? 500;
    this.#maxDelayMs = opts.maxDelayMs ?? 60_000;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#stallTimeoutMs = opts.stallTimeoutMs ?? this.#timeoutMs;
    this.#transferTimeoutMs = opts.transferTimeoutMs ?? 600_000;
    this.#maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
    this.#userAgent = opts.userAgent ?? "deb-lock";
    this.#onEvent = opts.onEvent ?? (() => {});
    this.#limit = new Semaphore(opts.maxConcurrency ?? 8);
    this.#ca = opts.ca === undefined ? undefined : [...rootCertificates, opts.ca];
    this.#agentOptions = {
      connections: opts.connectionsPerOrigin ?? 6,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      connect: { timeout: this.#timeoutMs, ...(this.#ca === undefined ? {} : { ca: this.#ca }) },
    };
    const netrcPath = opts.netrcPath;
    this.#netrc =
      netrcPath === undefined
        ? Promise.resolve([])
        : readNetrc(netrcPath).catch((cause: unknown) => {
            throw new DebLockError(
              "NETRC_UNREADABLE",
              `${netrcPath}: cannot read the netrc file (${cause instanceof Error ? cause.message : String(cause)})`,
              {
                hint: "make the file readable, or point NETRC at another file",
                cause,
              },
            );
          });
    // A netrc read failure surfaces on the first get(), not as an unhandled rejection.
    this.#netrc.catch(() => {});
  }

  async get(url: string, init: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<HttpResponse> {
    const canonical = redactUrl(url);
    const target = applyMirrors(url, this.#mirrors);
    const maxBytes = init.maxBytes ?? this.#maxBytes;
    const deadline = Date.now() + this.#transferTimeoutMs;
    const signal = init.signal === undefined ? this.#closed.signal : AbortSignal.any([init.signal, this.#closed.signal]);
    const emit = (e: HttpEvent): void => {
      if (!this.#closed.signal.aborted) this.#onEvent(e);
    };
    const netrc = await this.#netrc;
    let attempt = 0;
    for (;;) {
      attempt++;
      this.#throwIfCancelled(canonical, signal);
      emit({ type: "start", url: canonical, attempt });
      let failure: AttemptError;
      await this.#limit.acquire();
      try {
        this.#throwIfCancelled(canonical, signal);
        const res = await this.#attempt(target, netrc, signal, maxBytes, deadline);
        emit({ type: "done", url: canonical, attempt, status: res.status, bytes: res.body.byteLength });
        return { url: canonical, ...res };
      } catch (e) {
        if (!(e instanceof AttemptError)) {
          if (signal.aborted) this.#throwIfCancelled(canonical, signal);
          throw e;
        }
        failure = e;
      } finally {
        this.#limit.release();
      }
      this.#throwIfCancelled(canonical, signal);
      const delayMs = failure.retryable && attempt <= this.#retries ? this.#delayFor(attempt, failure.extra.retryAfterMs) : undefined;
      if (delayMs !== undefined && Date.now() + delayMs >= deadline) {
        // Waiting would overrun the time one transfer may take: say so instead of waiting.
        const waited = Math.round((Date.now() - (deadline - this.#transferTimeoutMs)) / 1000);
        const asked =
          failure.extra.retryAfterMs !== undefined ? `; the server asks to retry in ${Math.round(failure.extra.retryAfterMs / 1000)} s` : "";
        failure = new AttemptError(
          failure.code,
          `${failure.detail} (gave up after ${waited} s${asked}; one transfer may take at most ${Math.round(this.#transferTimeoutMs / 1000)} s)`,
          false,
          failure.fetchedUrl,
          failure.extra,
        );
      }
      if (delayMs === undefined || !failure.retryable) {
        emit({
          type: "fail",
          url: canonical,
          attempt,
          code: failure.code,
          ...(failure.extra.status === undefined ? {} : { status: failure.extra.status }),
        });
        throw this.#toFetchError(canonical, target, failure, attempt);
      }
      emit({
        type: "retry",
        url: canonical,
        attempt,
        delayMs,
        code: failure.code,
        ...(failure.extra.status === undefined ? {} : { status: failure.extra.status }),
      });
      await sleep(delayMs, signal).catch(() => this.#throwIfCancelled(canonical, signal));
    }
  }

  /** After close() (the run failed elsewhere) a request ends quietly; a caller's own abort passes its reason on. */
  #throwIfCancelled(canonical: string, signal: AbortSignal): void {
    if (!signal.aborted) return;
    if (this.#closed.signal.aborted) throw new FetchError("CANCELLED", `GET ${canonical}: cancelled, the run is stopping`, { url: canonical });
    throw signal.reason;
  }

  /** One attempt, bounded: stalled transfers and the transfer's deadline abort it with TIMEOUT. */
  async #attempt(
    target: string,
    netrc: readonly NetrcEntry[],
    outer: AbortSignal,
    maxBytes: number,
    deadline: number,
  ): Promise<Omit<HttpResponse, "url">> {
    const local = new AbortController();
    const progress = { received: 0, checked: 0 };
    let why: string | undefined;
    const stall = setInterval(() => {
      if (progress.received - progress.checked < 1024) {
        why = `timed out waiting for the ${progress.received === 0 ? "response" : "body"} (less than 1 KiB in ${Math.round(this.#stallTimeoutMs / 100) / 10} s)`;
        local.abort();
      }
      progress.checked = progress.received;
    }, this.#stallTimeoutMs);
    const overall = setTimeout(
      () => {
        why = `took longer than the ${Math.round(this.#transferTimeoutMs / 1000)} s one transfer may take`;
        local.abort();
      },
      Math.max(0, deadline - Date.now()),
    );
    try {
      return await this.#fetchFollowingRedirects(target, netrc, AbortSignal.any([outer, local.signal]), maxBytes, progress);
    } catch (e) {
      if (why !== undefined && !outer.aborted) {
        throw new AttemptError("TIMEOUT", why, !why.startsWith("took longer"), redactUrl(target), { cause: e });
      }
      throw e;
    } finally {
      clearInterval(stall);
      clearTimeout(overall);
    }
  }

  async close(): Promise<void> {
    this.#closed.abort();
    const all: Promise<void>[] = [];
    if (this.#direct !== undefined) all.push(this.#direct.close());
    for (const p of this.#proxies.values()) all.push(p.close());
    await Promise.all(all);
  }

  #delayFor(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.#maxDelayMs);
    // Exponential backoff with "equal jitter": half fixed, half random, so retries of many requests spread out.
    const exp = Math.min(this.#baseDelayMs * 2 ** (attempt - 1), this.#maxDelayMs);
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  #dispatcherFor(url: URL): Dispatcher {
    const proxy = selectProxy(url, this.#env);
    if (proxy === undefined) {
      this.#direct ??= new Agent(this.#agentOptions);
      return this.#direct;
    }
    let agent = this.#proxies.get(proxy);
    if (agent === undefined) {
      // proxyTunnel false: plain http:// requests go to the proxy as absolute-URI requests (what apt-cacher-ng and
      // squid expect); https:// still tunnels with CONNECT.
      agent = new ProxyAgent({
        ...this.#agentOptions,
        uri: proxy,
        proxyTunnel: false,
        ...(this.#ca === undefined ? {} : { requestTls: { ca: this.#ca }, proxyTls: { ca: this.#ca } }),
      });
      this.#proxies.set(proxy, agent);
    }
    return agent;
  }

  async #fetchFollowingRedirects(
    target: string,
    netrc: readonly NetrcEntry[],
    signal: AbortSignal,
    maxBytes: number,
    progress: { received: number },
  ): Promise<Omit<HttpResponse, "url">> {
    let current: URL;
    try {
      current = new URL(target);
    } catch (cause) {
      throw new AttemptError("UNSUPPORTED_URL", "not a valid URL", false, redactUrl(target), { cause });
    }
    if (current.protocol === "file:") return readLocalFile(current);
    if (current.protocol !== "http:" && current.protocol !== "https:") {
      throw new AttemptError(
        "UNSUPPORTED_URL",
        `unsupported scheme ${current.protocol} (only http:, https: and, through --mirror, file:)`,
        false,
        redactUrl(target),
      );
    }
    // Credentials belong to the origin first asked: URL userinfo, else the netrc entry for that host.
    const authOrigin = current.origin;
    const credentials: Credentials | undefined =
      current.username !== ""
        ? { username: decodeURIComponent(current.username), password: decodeURIComponent(current.password) }
        : findNetrcCredentials(netrc, current.hostname);
    for (let hop = 0; ; hop++) {
      const sendAuth = credentials !== undefined && current.origin === authOrigin;
      const bare = new URL(current);
      bare.username = "";
      bare.password = "";
      const shown = redactUrl(current.href);
      const headers: Record<string, string> = { "user-agent": this.#userAgent, "accept-encoding": "identity" };
      if (sendAuth) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(bare, { method: "GET", headers, dispatcher: this.#dispatcherFor(bare), signal });
      } catch (cause) {
        if (signal.aborted) throw signal.reason ?? cause;
        throw classifyTransportError(cause, shown, undefined, 0);
      }
      const status = res.statusCode;
      if (REDIRECT_STATUSES.has(status)) {
        await res.body.dump().catch(() => {});
        const location = headerValue(res.headers.location);
        if (location === undefined) throw new AttemptError("BAD_REDIRECT", `HTTP ${status} without a Location header`, false, shown, { status });
        let next: URL;
        try {
          next = new URL(location, current);
        } catch (cause) {
          throw new AttemptError("BAD_REDIRECT", `HTTP ${status} to an invalid Location "${redactUrl(location)}"`, false, shown, { status, cause });
        }
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw new AttemptError("BAD_REDIRECT", `HTTP ${status} to unsupported scheme ${next.protocol}`, false, shown, { status });
        }
        if (hop + 1 > MAX_REDIRECTS) {
          throw new AttemptError("TOO_MANY_REDIRECTS", `more than ${MAX_REDIRECTS} redirects`, false, redactUrl(next.href), { status });
        }
        current = next;
        continue;
      }
      if (status < 200 || status > 299) {
        await res.body.dump().catch(() => {});
        const retryable = status === 429 || status >= 500;
        const retryAfterMs = parseRetryAfter(headerValue(res.headers["retry-after"]), Date.now());
        throw new AttemptError("HTTP_STATUS", `HTTP ${status} ${STATUS_CODES[status] ?? ""}`.trimEnd(), retryable, shown, {
          status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }
      const expected = parseContentLength(headerValue(res.headers["content-length"]));
      if (expected !== undefined && expected > maxBytes) {
        res.body.destroy();
        throw new AttemptError("TOO_LARGE", `Content-Length ${expected} is more than the ${maxBytes} bytes expected`, false, shown);
      }
      // With a Content-Length the body goes straight into one buffer of that size (no second copy).
      const into = expected === undefined || expected > PREALLOCATE_LIMIT ? undefined : new Uint8Array(expected);
      const chunks: Uint8Array[] = [];
      let received = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          if (into !== undefined && received + chunk.byteLength <= into.byteLength) into.set(chunk, received);
          else chunks.push(chunk);
          received += chunk.byteLength;
          progress.received = received;
          if (received > maxBytes) {
            res.body.destroy();
            throw new AttemptError("TOO_LARGE", `the body is longer than the ${maxBytes} bytes expected`, false, shown);
          }
        }
      } catch (cause) {
        if (cause instanceof AttemptError) throw cause;
        if (signal.aborted) throw signal.reason ?? cause;
        throw classifyTransportError(cause, shown, expected, received);
      }
      if (expected !== undefined && received !== expected) {
        throw new AttemptError("TRUNCATED", `body has ${received} bytes, Content-Length says ${expected}`, true, shown);
      }
      return { fetchedUrl: shown, status, headers: flattenHeaders(res.headers), body: into ?? concatBytes(chunks, received) };
    }
  }

  #toFetchError(canonical: string, target: string, failure: AttemptError, attempts: number): FetchError {
    const via = failure.fetchedUrl !== canonical ? ` (fetched from ${failure.fetchedUrl})` : "";
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    const message = `GET ${canonical}: ${failure.detail}${via}${tries}`;
    const mirrored = target !== canonical && redactUrl(target) !== canonical;
    const hint = hintFor(failure, mirrored);
    const status = failure.extra.status;
    return new FetchError(
      failure.code,
      message,
      { url: canonical, ...(status === undefined ? {} : { status }) },
      { hint, cause: failure.extra.cause },
    );
  }
}

/**
 * A `file:` URL (a mirror rule can point at a local copy of an archive): answered like a server would, with a
 * missing file as a 404 so callers treat it the same way.
 */
async function readLocalFile(url: URL): Promise<Omit<HttpResponse, "url">> {
  const shown = url.href;
  try {
    const body = new Uint8Array(await readFile(fileURLToPath(url)));
    return { fetchedUrl: shown, status: 200, headers: { "content-length": String(body.byteLength) }, body };
  } catch (cause) {
    const code = errorCode(cause);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") {
      throw new AttemptError("HTTP_STATUS", "HTTP 404 Not Found (no such local file)", false, shown, { status: 404, cause });
    }
    throw new AttemptError("NETWORK", `cannot read the local file (${describeCause(cause)})`, false, shown, { cause });
  }
}

function hintFor(failure: AttemptError, mirrored: boolean): string {
  const mirrorNote = mirrored ? " and the --mirror rule that rewrote it" : "";
  switch (failure.code) {
    case "HTTP_STATUS": {
      const s = failure.extra.status ?? 0;
      if (s === 401 || s === 403) return `check the credentials for this host in your netrc file (or user:password in the URL)${mirrorNote}`;
      if (s === 407) return "check the proxy credentials in HTTPS_PROXY/HTTP_PROXY";
      if (s >= 500 || s === 429) return "the server is overloaded or failing; try again later or use --mirror to fetch from another mirror";
      return `check the URL${mirrorNote}, and that the snapshot timestamp exists for this archive`;
    }
    case "TIMEOUT":
      return "the server did not answer in time; check the network and proxy (HTTPS_PROXY, NO_PROXY), or try again later";
    case "TRUNCATED":
      return "the connection dropped mid-download; try again, or use --mirror to fetch from another mirror";
    case "TOO_MANY_REDIRECTS":
    case "BAD_REDIRECT":
      return `the server redirects in a loop or to an unusable place; check the URL${mirrorNote}`;
    case "TOO_LARGE":
      return `the server sends more than the signed Release (or a sane limit) allows; check the URL${mirrorNote}, or use another mirror`;
    case "UNSUPPORTED_URL":
      return `use an http:// or https:// URL${mirrorNote}`;
    case "NETWORK":
      if (failure.extra.tls === true)
        return "the server's TLS certificate is not trusted; for a mirror behind a private CA, add the CA (NODE_EXTRA_CA_CERTS)";
      return `check the network, the host name${mirrorNote}, and the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)`;
  }
}

function classifyTransportError(cause: unknown, shown: string, expected: number | undefined, received: number): AttemptError {
  const code = errorCode(cause);
  if (/\b407\b/.test(cause instanceof Error ? cause.message : "")) {
    return new AttemptError("HTTP_STATUS", "HTTP 407 Proxy Authentication Required (the proxy refused the credentials)", false, shown, {
      status: 407,
      cause,
    });
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT") {
    const what = code === "UND_ERR_BODY_TIMEOUT" ? "body" : code === "UND_ERR_HEADERS_TIMEOUT" ? "response headers" : "connection";
    return new AttemptError("TIMEOUT", `timed out waiting for the ${what}`, true, shown, { cause });
  }
  if (expected !== undefined && received < expected) {
    return new AttemptError("TRUNCATED", `connection closed after ${received} of ${expected} bytes`, true, shown, { cause });
  }
  const detail = describeCause(cause);
  // A certificate the client does not trust will not become trusted by asking again.
  const certificate = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code);
  return new AttemptError("NETWORK", `connection failed (${detail})`, !certificate, shown, { cause, ...(certificate ? { tls: true } : {}) });
}

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur !== null && typeof cur === "object" && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeCause(e: unknown): string {
  const code = errorCode(e);
  const message = e instanceof Error ? redactUrl(e.message) : String(e);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(h).sort()) {
    const v = h[key];
    if (v !== undefined) out[key.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function parseContentLength(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP-date; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The proxy for `url` from the given environment, or undefined for a direct connection.
 * `https:` uses https_proxy/HTTPS_PROXY, `http:` uses http_proxy/HTTP_PROXY (lower case first, as curl does);
 * NO_PROXY/no_proxy lists hosts (`example.com` also covers subdomains, `.example.com` only subdomains,
 * `host:port` only that port, `*` everything).
 */
export function selectProxy(url: URL, env: Record<string, string | undefined>): string | undefined {
  const pick = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = env[n];
      if (v !== undefined && v.trim() !== "") return v.trim();
    }
    return undefined;
  };
  const proxy =
    url.protocol === "https:" ? pick("https_proxy", "HTTPS_PROXY") : url.protocol === "http:" ? pick("http_proxy", "HTTP_PROXY") : undefined;
  if (proxy === undefined) return undefined;
  const noProxy = pick("no_proxy", "NO_PROXY");
  if (noProxy !== undefined && isNoProxy(url, noProxy)) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

function isNoProxy(url: URL, list: string): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
  for (const raw of list.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let entryPort: string | undefined;
    const m = /^(.*?):(\d+)$/.exec(entry);
    if (m !== null && !entry.startsWith("[") && (m[1]!.match(/:/g) ?? []).length === 0) {
      entry = m[1]!;
      entryPort = m[2];
    }
    entry = entry.replace(/^\[(.*)\]$/, "$1").replace(/^\*/, "");
    if (entryPort !== undefined && entryPort !== port) continue;
    if (entry.startsWith(".")) {
      if (host.endsWith(entry)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) {
      return true;
    }
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A counting semaphore bounding requests in flight across all hosts. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}
