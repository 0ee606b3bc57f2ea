import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect, type Socket } from "node:net";

/** One scripted answer. Omitted fields: status 200, empty body. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send the full Content-Length but only this many body bytes, then drop the connection. */
  truncateAt?: number;
  /** Drop the connection before answering (a connection reset). */
  reset?: boolean;
  /** Wait this long before sending headers. */
  delayMs?: number;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface LoggedRequest {
  readonly method: string;
  /** Path and query as received (an absolute URI when the server acts as a proxy). */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Milliseconds since the server started. */
  readonly atMs: number;
}

export interface HttpTestServer {
  /** `http://127.0.0.1:<port>` (`https://` when started with a certificate) */
  readonly origin: string;
  readonly port: number;
  readonly log: LoggedRequest[];
  /** Requests in flight right now, and the most ever seen at once. */
  readonly inFlight: { now: number; max: number };
  /** Answers successive requests to `path` with the given responses in order; the last one repeats. */
  script(path: string, ...responses: ScriptedResponse[]): void;
  handle(path: string, handler: RouteHandler): void;
  requestsTo(path: string): LoggedRequest[];
  close(): Promise<void>;
}

/**
 * A scripted HTTP server on 127.0.0.1:0 that logs every request. Unknown paths answer 404.
 * With `tls` (PEM key and certificate) it speaks HTTPS.
 */
export async function startHttpTestServer(options: { tls?: { key: string; cert: string } } = {}): Promise<HttpTestServer> {
  const started = performance.now();
  const routes = new Map<string, RouteHandler>();
  const log: LoggedRequest[] = [];
  const inFlight = { now: 0, max: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    log.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, atMs: performance.now() - started });
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    res.on("close", () => inFlight.now--);
    const path = (req.url ?? "").split("?")[0] ?? "";
    const handler = routes.get(path);
    if (handler === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    void Promise.resolve(handler(req, res)).catch(() => res.destroy());
  };
  const server: Server = options.tls === undefined ? createServer(onRequest) : createHttpsServer(options.tls, onRequest);
  const port = await listen(server);
  const sockets = trackSockets(server);
  return {
    origin: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    port,
    log,
    inFlight,
    script(path, ...responses) {
      let i = 0;
      routes.set(path, async (_req, res) => {
        const step = responses[Math.min(i++, responses.length - 1)] ?? {};
        await answer(res, step);
      });
    },
    handle(path, handler) {
      routes.set(path, handler);
    },
    requestsTo(path) {
      return log.filter((r) => (r.url.split("?")[0] ?? "") === path);
    },
    close: () => closeServer(server, sockets),
  };
}

async function answer(res: ServerResponse, step: ScriptedResponse): Promise<void> {
  if (step.delayMs !== undefined) await new Promise((r) => setTimeout(r, step.delayMs));
  if (step.reset === true) {
    res.socket?.resetAndDestroy();
    return;
  }
  const body = typeof step.body === "string" ? Buffer.from(step.body) : Buffer.from(step.body ?? new Uint8Array());
  res.writeHead(step.status ?? 200, { "content-length": String(body.byteLength), ...step.headers });
  if (step.truncateAt !== undefined) {
    res.write(body.subarray(0, step.truncateAt), () => res.destroy());
    return;
  }
  res.end(body);
}

/**
 * A minimal forward proxy: relays absolute-URI requests for http:// URLs and tunnels CONNECT requests (https://).
 * Logs what it saw, including any Proxy-Authorization header.
 */
export async function startForwardProxy(): Promise<{ origin: string; log: LoggedRequest[]; close(): Promise<void> }> {
  const started = performance.now();
  const log: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    log.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, atMs: performance.now() - started });
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute URI required\n");
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const upstream = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end("bad gateway\n")));
    req.pipe(upstream);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    log.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, atMs: performance.now() - started });
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host ?? "", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  const port = await listen(server);
  const sockets = trackSockets(server);
  return { origin: `http://127.0.0.1:${port}`, log, close: () => closeServer(server, sockets) };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return sockets;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
