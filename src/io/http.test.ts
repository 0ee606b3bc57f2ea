import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type HttpTestServer, startForwardProxy, startHttpTestServer } from "../../test/support/http-test-server.js";
import { FetchError } from "../core/errors.js";
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpEvent, parseRetryAfter, selectProxy } from "./http.js";
import { parseMirrorRules } from "./mirrors.js";

let server: HttpTestServer;
let other: HttpTestServer;
const clients: HttpClient[] = [];

beforeAll(async () => {
  server = await startHttpTestServer();
  other = await startHttpTestServer();
});
afterAll(async () => {
  await server.close();
  await other.close();
});
beforeEach(() => {
  server.log.length = 0;
  other.log.length = 0;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close?.()));
});

function client(opts: HttpClientOptions = {}): HttpClient {
  const c = createHttpClient({ baseDelayMs: 5, retries: 3, ...opts });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FetchError);
    return e as FetchError;
  }
  throw new Error("expected the request to fail");
}

describe("createHttpClient: success and status handling", () => {
  it("returns body, status and lower-case headers of a 2xx", async () => {
    server.script("/ok", { body: "hello\n", headers: { "X-Thing": "1" } });
    const res = await client().get(`${server.origin}/ok`);
    expect(new TextDecoder().decode(res.body)).toBe("hello\n");
    expect(res.status).toBe(200);
    expect(res.headers["x-thing"]).toBe("1");
    expect(res.url).toBe(`${server.origin}/ok`);
    expect(res.fetchedUrl).toBe(`${server.origin}/ok`);
    expect(server.requestsTo("/ok")[0]?.headers["user-agent"]).toBe("deb-lock");
  });

  it("does not retry a 404: one request, HTTP_STATUS with status and a hint", async () => {
    const events: HttpEvent[] = [];
    const e = await failure(client({ onEvent: (ev) => events.push(ev) }).get(`${server.origin}/missing`));
    expect(server.requestsTo("/missing")).toHaveLength(1);
    expect(e.code).toBe("HTTP_STATUS");
    expect(e.status).toBe(404);
    expect(e.message).toBe(`GET ${server.origin}/missing: HTTP 404 Not Found`);
    expect(e.hint).toMatch(/check the URL/);
    expect(e.hint).toMatch(/snapshot timestamp/);
    expect(events.map((x) => x.type)).toEqual(["start", "fail"]);
  });

  it("retries 503 and honours Retry-After seconds", async () => {
    server.script("/busy", { status: 503, headers: { "retry-after": "1" } }, { body: "ok" });
    const events: HttpEvent[] = [];
    const res = await client({ onEvent: (ev) => events.push(ev) }).get(`${server.origin}/busy`);
    expect(new TextDecoder().decode(res.body)).toBe("ok");
    const [first, second] = server.requestsTo("/busy");
    expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(950);
    expect(events.map((x) => x.type)).toEqual(["start", "retry", "start", "done"]);
    expect(events[1]).toMatchObject({ type: "retry", attempt: 1, status: 503, delayMs: 1000, code: "HTTP_STATUS" });
    expect(events[3]).toMatchObject({ type: "done", attempt: 2, status: 200, bytes: 2 });
  });

  it("retries 429 with an HTTP-date Retry-After, capped by maxDelayMs", async () => {
    const later = new Date(Date.now() + 120_000).toUTCString();
    server.script("/limited", { status: 429, headers: { "retry-after": later } }, { body: "ok" });
    const events: HttpEvent[] = [];
    const started = performance.now();
    await client({ maxDelayMs: 50, onEvent: (ev) => events.push(ev) }).get(`${server.origin}/limited`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(events.find((x) => x.type === "retry")?.delayMs).toBe(50);
    expect(server.requestsTo("/limited")).toHaveLength(2);
  });

  it("gives up after the configured retries on persistent 5xx", async () => {
    server.script("/down", { status: 500 });
    const e = await failure(client({ retries: 2 }).get(`${server.origin}/down`));
    expect(server.requestsTo("/down")).toHaveLength(3);
    expect(e.code).toBe("HTTP_STATUS");
    expect(e.status).toBe(500);
    expect(e.message).toBe(`GET ${server.origin}/down: HTTP 500 Internal Server Error after 3 attempts`);
  });

  it("backs off exponentially between retries", async () => {
    server.script("/flaky", { status: 502 }, { status: 502 }, { status: 502 }, { body: "ok" });
    const events: HttpEvent[] = [];
    await client({ baseDelayMs: 40, onEvent: (ev) => events.push(ev) }).get(`${server.origin}/flaky`);
    const delays = events.filter((x) => x.type === "retry").map((x) => x.delayMs!);
    expect(delays).toHaveLength(3);
    // Equal jitter: the n-th wait lies in [base*2^(n-1)/2, base*2^(n-1)].
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[0]).toBeLessThanOrEqual(40);
    expect(delays[1]).toBeGreaterThanOrEqual(40);
    expect(delays[1]).toBeLessThanOrEqual(80);
    expect(delays[2]).toBeGreaterThanOrEqual(80);
    expect(delays[2]).toBeLessThanOrEqual(160);
  });
});

describe("createHttpClient: broken connections", () => {
  it("retries after a connection reset", async () => {
    server.script("/reset", { reset: true }, { body: "after reset" });
    const res = await client().get(`${server.origin}/reset`);
    expect(new TextDecoder().decode(res.body)).toBe("after reset");
    expect(server.requestsTo("/reset")).toHaveLength(2);
  });

  it("reports NETWORK when nothing listens", async () => {
    const gone = await startHttpTestServer();
    const url = `${gone.origin}/x`;
    await gone.close();
    const e = await failure(client({ retries: 1 }).get(url));
    expect(e.code).toBe("NETWORK");
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.hint).toMatch(/proxy/);
  });

  it("retries a body shorter than Content-Length, then succeeds", async () => {
    const body = "x".repeat(10_000);
    server.script("/trunc-once", { body, truncateAt: 100 }, { body });
    const res = await client().get(`${server.origin}/trunc-once`);
    expect(res.body.byteLength).toBe(10_000);
    expect(server.requestsTo("/trunc-once")).toHaveLength(2);
  });

  it("fails with TRUNCATED when the body is always cut short", async () => {
    server.script("/trunc", { body: "y".repeat(5000), truncateAt: 1000 });
    const e = await failure(client({ retries: 1 }).get(`${server.origin}/trunc`));
    expect(e.code).toBe("TRUNCATED");
    expect(e.message).toMatch(/1000 of 5000 bytes/);
    expect(server.requestsTo("/trunc")).toHaveLength(2);
  });

  it("times out waiting for headers", async () => {
    // undici checks header timeouts on a coarse (about 0.5 s) clock, so the server waits well past that.
    server.script("/slow", { delayMs: 5000, body: "late" });
    const started = performance.now();
    const e = await failure(client({ retries: 0, timeoutMs: 100 }).get(`${server.origin}/slow`));
    expect(performance.now() - started).toBeLessThan(4000);
    expect(e.code).toBe("TIMEOUT");
    expect(e.message).toMatch(/timed out/);
  });

  it("times out when the body stalls, and retries a chunked body cut off mid-way", async () => {
    server.handle("/stall", (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("only part");
      // ...and nothing more until the client gives up.
    });
    const e = await failure(client({ retries: 0, timeoutMs: 100 }).get(`${server.origin}/stall`));
    expect(e.code).toBe("TIMEOUT");
    expect(e.message).toMatch(/timed out waiting for the body/);

    let n = 0;
    server.handle("/chunked", (_req, res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      if (++n === 1) res.write("first part", () => res.destroy());
      else res.end("whole body");
    });
    const res = await client().get(`${server.origin}/chunked`);
    expect(new TextDecoder().decode(res.body)).toBe("whole body");
    expect(server.requestsTo("/chunked")).toHaveLength(2);
  });

  it("stops when the caller aborts", async () => {
    server.script("/abort", { status: 503, headers: { "retry-after": "30" } });
    const ac = new AbortController();
    const p = client().get(`${server.origin}/abort`, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error("cancelled")), 100);
    await expect(p).rejects.toThrow("cancelled");
  });
});

describe("createHttpClient: redirects", () => {
  it("follows a redirect chain across servers, like snapshot's 302 to /file/<sha1>", async () => {
    const sha1 = "0123456789abcdef0123456789abcdef01234567";
    server.script("/archive/debian/20240706T203757Z/pool/a.deb", {
      status: 301,
      headers: { location: "/archive/debian/20240706T203757Z/pool/b.deb" },
    });
    server.script("/archive/debian/20240706T203757Z/pool/b.deb", { status: 302, headers: { location: `${other.origin}/file/${sha1}` } });
    other.script(`/file/${sha1}`, { body: "deb bytes" });
    const url = `${server.origin}/archive/debian/20240706T203757Z/pool/a.deb`;
    const res = await client().get(url);
    expect(new TextDecoder().decode(res.body)).toBe("deb bytes");
    expect(res.url).toBe(url);
    expect(res.fetchedUrl).toBe(`${other.origin}/file/${sha1}`);
  });

  it("stops after 5 redirects with TOO_MANY_REDIRECTS and no retry", async () => {
    for (let i = 0; i < 7; i++) server.script(`/loop${i}`, { status: 302, headers: { location: `/loop${i + 1}` } });
    const e = await failure(client().get(`${server.origin}/loop0`));
    expect(e.code).toBe("TOO_MANY_REDIRECTS");
    expect(server.requestsTo("/loop0")).toHaveLength(1);
    expect(server.log.map((r) => r.url)).toEqual(["/loop0", "/loop1", "/loop2", "/loop3", "/loop4", "/loop5"]);
  });
});

describe("createHttpClient: credentials", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "http-netrc-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

  it("sends netrc credentials to their host, and not to a redirect target on another origin", async () => {
    const netrc = join(dir, "netrc");
    await writeFile(netrc, "machine 127.0.0.1\n  login alice\n  password s3cret\n");
    server.script("/private/InRelease", { status: 302, headers: { location: `${other.origin}/elsewhere` } });
    other.script("/elsewhere", { body: "public" });
    const res = await client({ netrcPath: netrc }).get(`${server.origin}/private/InRelease`);
    expect(new TextDecoder().decode(res.body)).toBe("public");
    expect(server.requestsTo("/private/InRelease")[0]?.headers.authorization).toBe(basic("alice", "s3cret"));
    expect(other.requestsTo("/elsewhere")[0]?.headers.authorization).toBeUndefined();
  });

  it("sends no credentials to a host the netrc does not name", async () => {
    const netrc = join(dir, "netrc-other");
    await writeFile(netrc, "machine mirror.example login bob password pw\n");
    server.script("/pub", { body: "x" });
    await client({ netrcPath: netrc }).get(`${server.origin}/pub`);
    expect(server.requestsTo("/pub")[0]?.headers.authorization).toBeUndefined();
  });

  it("reports an unreadable netrc file by name", async () => {
    const netrcDir = join(dir, "a-directory");
    await mkdir(netrcDir);
    server.script("/pub", { body: "x" });
    await expect(client({ netrcPath: netrcDir }).get(`${server.origin}/pub`)).rejects.toMatchObject({
      code: "NETRC_UNREADABLE",
      message: expect.stringContaining(netrcDir),
    });
  });

  it("uses userinfo from the URL and never prints it", async () => {
    server.script("/secret", { body: "x" });
    const url = `http://carol:hunter2@127.0.0.1:${server.port}/secret`;
    const events: HttpEvent[] = [];
    const res = await client({ onEvent: (e) => events.push(e) }).get(url);
    expect(server.requestsTo("/secret")[0]?.headers.authorization).toBe(basic("carol", "hunter2"));
    expect(res.url).toBe(`http://***@127.0.0.1:${server.port}/secret`);
    expect(JSON.stringify(events)).not.toContain("hunter2");

    const e = await failure(client({ onEvent: (ev) => events.push(ev) }).get(`http://carol:hunter2@127.0.0.1:${server.port}/nope`));
    expect(e.message).not.toContain("hunter2");
    expect(e.url).not.toContain("hunter2");
    expect(e.message).toContain("***@127.0.0.1");
    expect(JSON.stringify(events)).not.toContain("hunter2");
  });

  it("keeps credentials of a mirror target out of errors", async () => {
    const mirrors = parseMirrorRules([`https://snapshot.debian.org/archive=http://dave:pa55@127.0.0.1:${server.port}/snap`], undefined);
    const e = await failure(client({ mirrors }).get("https://snapshot.debian.org/archive/debian/20240101T000000Z/dists/bookworm/InRelease"));
    expect(e.message).not.toContain("pa55");
    expect(e.message).toContain(`(fetched from http://***@127.0.0.1:${server.port}/snap/debian/`);
    expect(e.hint).toMatch(/--mirror/);
    expect(server.requestsTo("/snap/debian/20240101T000000Z/dists/bookworm/InRelease")[0]?.headers.authorization).toBe(basic("dave", "pa55"));
  });
});

describe("createHttpClient: mirrors, proxy, concurrency", () => {
  it("fetches through a mirror rule and reports the canonical URL", async () => {
    server.script("/m/debian/dists/bookworm/InRelease", { body: "signed" });
    const mirrors = parseMirrorRules([`https://snapshot.debian.org/archive/=${server.origin}/m/`], undefined);
    const canonical = "https://snapshot.debian.org/archive/debian/dists/bookworm/InRelease";
    const res = await client({ mirrors }).get(canonical);
    expect(res.url).toBe(canonical);
    expect(res.fetchedUrl).toBe(`${server.origin}/m/debian/dists/bookworm/InRelease`);
    expect(new TextDecoder().decode(res.body)).toBe("signed");
  });

  it("reads file:/// mirror targets from disk, a missing file being a 404", async () => {
    const local = await mkdtemp(join(tmpdir(), "http-file-"));
    try {
      await mkdir(join(local, "dists/bookworm"), { recursive: true });
      await writeFile(join(local, "dists/bookworm/InRelease"), "local copy");
      const mirrors = parseMirrorRules([`https://snapshot.debian.org/archive/debian/20240706T203757Z=${pathToFileURL(local).href}`], undefined);
      const c = client({ mirrors });
      const res = await c.get("https://snapshot.debian.org/archive/debian/20240706T203757Z/dists/bookworm/InRelease");
      expect(new TextDecoder().decode(res.body)).toBe("local copy");
      expect(res.fetchedUrl).toBe(pathToFileURL(join(local, "dists/bookworm/InRelease")).href);
      const e = await failure(c.get("https://snapshot.debian.org/archive/debian/20240706T203757Z/dists/trixie/InRelease"));
      expect(e.code).toBe("HTTP_STATUS");
      expect(e.status).toBe(404);
      expect(e.message).toMatch(
        /^GET https:\/\/snapshot\.debian\.org\/.*trixie\/InRelease: HTTP 404 Not Found \(no such local file\) \(fetched from file:/,
      );
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });

  it("sends http:// requests through the proxy from the given env, and honours NO_PROXY", async () => {
    const proxy = await startForwardProxy();
    try {
      server.script("/via-proxy", { body: "proxied" });
      const env = { http_proxy: `http://pu:pp@${proxy.origin.slice("http://".length)}` };
      const res = await client({ env }).get(`${server.origin}/via-proxy`);
      expect(new TextDecoder().decode(res.body)).toBe("proxied");
      expect(proxy.log.map((r) => r.url)).toEqual([`${server.origin}/via-proxy`]);
      expect(proxy.log[0]?.headers["proxy-authorization"]).toBe(`Basic ${Buffer.from("pu:pp").toString("base64")}`);
      expect(server.requestsTo("/via-proxy")).toHaveLength(1);

      await client({ env: { ...env, NO_PROXY: "localhost,127.0.0.1" } }).get(`${server.origin}/via-proxy`);
      expect(proxy.log).toHaveLength(1);
      expect(server.requestsTo("/via-proxy")).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it("tunnels https:// requests through the proxy with CONNECT, trusting an extra CA", async () => {
    const fixtures = join(import.meta.dirname, "../../test/fixtures/io");
    const tls = { key: await readFile(join(fixtures, "test-server.key"), "utf8"), cert: await readFile(join(fixtures, "test-server.crt"), "utf8") };
    const secure = await startHttpTestServer({ tls });
    const proxy = await startForwardProxy();
    try {
      secure.script("/dists/bookworm/InRelease", { body: "over tls" });
      const url = `${secure.origin}/dists/bookworm/InRelease`;
      const res = await client({ env: { HTTPS_PROXY: proxy.origin }, ca: tls.cert }).get(url);
      expect(new TextDecoder().decode(res.body)).toBe("over tls");
      expect(proxy.log.map((r) => `${r.method} ${r.url}`)).toEqual([`CONNECT 127.0.0.1:${secure.port}`]);
      expect(secure.requestsTo("/dists/bookworm/InRelease")).toHaveLength(1);
      // Without the CA the certificate is refused, and that is not retried as if it were a flaky network.
      const e = await failure(client({ env: { HTTPS_PROXY: proxy.origin } }).get(url));
      expect(e.code).toBe("NETWORK");
      expect(e.message).toMatch(/certificate/i);
      expect(e.hint).toMatch(/CA/);
      expect(proxy.log).toHaveLength(2);
      expect(secure.requestsTo("/dists/bookworm/InRelease")).toHaveLength(1);
    } finally {
      await proxy.close();
      await secure.close();
    }
  });

  it("keeps at most maxConcurrency requests in flight", async () => {
    server.script("/slowish", { delayMs: 60, body: "z" });
    const c = client({ maxConcurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.get(`${server.origin}/slowish?i=${i}`)));
    expect(server.requestsTo("/slowish")).toHaveLength(6);
    expect(server.inFlight.max).toBe(2);
  });
});

describe("selectProxy", () => {
  const env = { HTTPS_PROXY: "http://proxy:3128", http_proxy: "proxy2:8080", NO_PROXY: "internal.example, .corp.example, 10.0.0.1:8443" };
  it.each([
    ["https://deb.example/x", "http://proxy:3128"],
    ["http://deb.example/x", "http://proxy2:8080"],
    ["https://internal.example/x", undefined],
    ["https://a.internal.example/x", undefined],
    ["https://corp.example/x", "http://proxy:3128"],
    ["https://b.corp.example/x", undefined],
    ["https://10.0.0.1:8443/x", undefined],
    ["https://10.0.0.1/x", "http://proxy:3128"],
  ])("%s → %s", (url, expected) => {
    expect(selectProxy(new URL(url), env)).toBe(expected);
  });
  it("uses no proxy with an empty env or NO_PROXY=*", () => {
    expect(selectProxy(new URL("https://x.example/"), {})).toBeUndefined();
    expect(selectProxy(new URL("https://x.example/"), { HTTPS_PROXY: "http://p:1", no_proxy: "*" })).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP-dates", () => {
    const now = Date.parse("2024-07-06T20:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Sat, 06 Jul 2024 20:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sat, 06 Jul 2024 19:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
