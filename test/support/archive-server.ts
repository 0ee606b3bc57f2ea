/**
 * A fake snapshot.debian.org over real HTTP, for integration tests.
 *
 *   const server = await startArchiveServer({ archives: { debian: { "20240706T203757Z": { bookworm: {
 *     components: { main: { amd64: [{ Package: "bash", Version: "5.2.15-2+b7", Depends: "libc6" }] } },
 *   } } } } });
 *   // server.url + "/archive/debian/20240706T203757Z/dists/bookworm/InRelease"
 *
 * For every suite it serves what a Debian archive serves: `dists/<suite>/InRelease`, `Release`,
 * `Release.gpg`, `<component>/binary-<arch>/Packages{,.gz,.xz}` and their `by-hash/SHA256/<sha256>`
 * copies, all listed with sizes and hashes in the Release file, which is signed with a key made at
 * test time (pass `server.publicKeyArmored` to `--keyring`). Stanzas given as objects also get a small
 * fake .deb served at their `Filename` under `pool/`.
 *
 * Faults are matched per request path and can be changed while the server runs (`server.faults`).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import * as openpgp from "openpgp";
import { clearsign, getTestKey, type TestKey } from "./test-key.js";

/** One Packages stanza: raw text (exactly as in a real index) or fields turned into a stanza. */
export type Stanza = string | Readonly<Record<string, string | number>>;

export type Compression = "plain" | "gz" | "xz";

export interface SuiteSpec {
  /** component → architecture → stanzas of `<component>/binary-<arch>/Packages` */
  readonly components: Readonly<Record<string, Readonly<Record<string, readonly Stanza[]>>>>;
  /** `Suite:` (default: the directory name under dists/) */
  readonly suite?: string;
  /** `Codename:` (default: the directory name under dists/) */
  readonly codename?: string;
  readonly origin?: string;
  readonly label?: string;
  readonly version?: string;
  /** `Date:` (default: the snapshot timestamp) */
  readonly date?: Date;
  readonly validUntil?: Date;
  /** `Architectures:` (default: every arch of every component) — list an arch here without indexes to test that. */
  readonly architectures?: readonly string[];
  /** `Acquire-By-Hash: yes` and by-hash copies (default true). */
  readonly acquireByHash?: boolean;
  readonly notAutomatic?: boolean;
  readonly butAutomaticUpgrades?: boolean;
  /** Which Packages files exist and are listed (default all three; Debian's -security has only plain and xz). */
  readonly compressions?: readonly Compression[];
}

export interface ArchiveServerSpec {
  /** archive ("debian", "debian-security") → snapshot timestamp ("20240706T203757Z") → dists name → suite */
  readonly archives: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, SuiteSpec>>>>>>;
}

export interface Fault {
  /** Request paths this fault applies to: a string matches paths ending with it, a RegExp is tested. */
  readonly path: string | RegExp;
  /** Statuses for successive matching requests, e.g. [503, 503, 200]; 200 serves normally; afterwards normal. */
  readonly status?: readonly number[];
  /** `Retry-After` header (seconds) sent with 429 and 503 statuses of `status`. */
  readonly retryAfter?: number;
  /** Always 404 (e.g. by-hash missing on a mirror). */
  readonly notFound?: boolean;
  /** Announce the full Content-Length, send this many bytes, then cut the connection. */
  readonly truncateAt?: number;
  /** Serve the file with one byte changed (same size, different hash). */
  readonly wrongContent?: boolean;
  /** InRelease only: change a SHA256 line of the signed text after signing (bad signature). */
  readonly tamper?: boolean;
  /** InRelease only: sign with a key the client does not trust. */
  readonly unknownSigner?: boolean;
  /** InRelease only: serve the unsigned Release text instead. */
  readonly unsigned?: boolean;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /**
   * Apply the content faults (truncateAt, wrongContent, tamper, unknownSigner, unsigned, delayMs) to the
   * first this-many matching requests only (counted together with those answered from `status`).
   */
  readonly times?: number;
}

export interface RouteResponse {
  readonly status?: number;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ArchiveServerOptions {
  readonly faults?: readonly Fault[];
  /** Consulted before the archive tree, e.g. to serve snapshot listing pages. */
  readonly extraRoutes?: (path: string) => RouteResponse | undefined;
  /** Keys signing every InRelease (default: one key made at test time, `getTestKey("archive")`). */
  readonly signingKeys?: readonly TestKey[];
  /** Creation time of the InRelease signatures (default now), e.g. to sign with a key that has expired since. */
  readonly signedAt?: Date;
}

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface ArchiveServer {
  /** e.g. http://127.0.0.1:39021 (no trailing slash) */
  readonly url: string;
  /** `${url}/archive/${archive}/${timestamp}`: the `url:` of a manifest source. */
  archiveUrl(archive: string, timestamp: string): string;
  /** Armored public key(s) that sign the InRelease files. */
  readonly publicKeyArmored: string;
  /** Every request answered so far, in order. Clear with `requests.length = 0`. */
  readonly requests: RequestLogEntry[];
  /** Mutable: add or remove faults between steps of a test. A request gets the first fault whose path matches. */
  faults: Fault[];
  /** Replaces the archive content (e.g. a newer snapshot appears); keeps faults and the request log. */
  setSpec(spec: ArchiveServerSpec): Promise<void>;
  /** The generated bytes of an archive path (without faults), e.g. to compute expected hashes. */
  file(path: string): Uint8Array | undefined;
  close(): Promise<void>;
}

interface SuiteFiles {
  /** Release text (unsigned) */
  readonly release: string;
}

const PLAIN_NAMES: Record<Compression, string> = { plain: "Packages", gz: "Packages.gz", xz: "Packages.xz" };

export async function startArchiveServer(spec: ArchiveServerSpec, options: ArchiveServerOptions = {}): Promise<ArchiveServer> {
  const signingKeys = options.signingKeys ?? [await getTestKey("archive")];
  let files = new Map<string, Uint8Array>();
  let suites = new Map<string, SuiteFiles>();
  const requests: RequestLogEntry[] = [];
  const faultUses = new Map<Fault, number>();
  const variants = new Map<string, Uint8Array>();

  const load = async (next: ArchiveServerSpec) => {
    const built = await buildArchive(next, signingKeys, options.signedAt);
    files = built.files;
    suites = built.suites;
    variants.clear();
  };
  await load(spec);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const method = req.method ?? "GET";
    const send = (status: number, body: Uint8Array | string, headers: Record<string, string> = {}) => {
      const bytes = typeof body === "string" ? Buffer.from(body) : body;
      requests.push({ method, path, status });
      res.writeHead(status, { "content-length": String(bytes.length), ...headers });
      res.end(method === "HEAD" ? undefined : bytes);
    };

    const fault = server.faults.find((f) => (typeof f.path === "string" ? path.endsWith(f.path) : f.path.test(path)));
    let use = 0;
    if (fault !== undefined) {
      use = faultUses.get(fault) ?? 0;
      faultUses.set(fault, use + 1);
    }
    const contentFault = fault !== undefined && use < (fault.times ?? Infinity) ? fault : undefined;
    if (contentFault?.delayMs) await new Promise((resolve) => setTimeout(resolve, contentFault.delayMs));
    if (fault?.notFound) return send(404, `404 Not Found: ${path}\n`);
    const scripted = fault?.status?.[use];
    if (scripted !== undefined && scripted !== 200) {
      const headers: Record<string, string> = {};
      if ((scripted === 429 || scripted === 503) && fault?.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      return send(scripted, `${scripted} (fault injected): ${path}\n`, headers);
    }

    const extra = options.extraRoutes?.(path);
    if (extra !== undefined) return send(extra.status ?? 200, extra.body, { ...extra.headers });

    let body = files.get(path);
    if (body === undefined) return send(404, `404 Not Found: ${path}\n`);
    if (contentFault !== undefined && path.endsWith("/InRelease")) {
      body = await inReleaseVariant(path, contentFault, body);
    }
    if (contentFault?.wrongContent) {
      body = Uint8Array.from(body);
      const i = Math.floor(body.length / 2);
      body[i] = body[i]! ^ 0x20;
    }
    if (contentFault?.truncateAt !== undefined) {
      requests.push({ method, path, status: 200 });
      res.writeHead(200, { "content-length": String(body.length) });
      res.write(body.subarray(0, contentFault.truncateAt), () => res.destroy());
      return;
    }
    send(200, body, { "content-type": contentType(path) });
  };

  const inReleaseVariant = async (path: string, fault: Fault, original: Uint8Array): Promise<Uint8Array> => {
    const release = suites.get(path)?.release;
    if (release === undefined) return original;
    if (fault.unsigned) return Buffer.from(release);
    if (fault.unknownSigner) {
      const key = `${path}#unknown`;
      if (!variants.has(key)) variants.set(key, Buffer.from(await clearsign(release, [await getTestKey("unknown-signer")])));
      return variants.get(key)!;
    }
    if (fault.tamper) {
      // Flip one hex digit of the first SHA256 entry: the signature no longer matches.
      const text = Buffer.from(original).toString("utf8");
      return Buffer.from(text.replace(/^(SHA256:\n )([0-9a-f])/m, (_m, head: string, c: string) => head + (c === "0" ? "1" : "0")));
    }
    return original;
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      requests.push({ method: req.method ?? "GET", path: req.url ?? "", status: 500 });
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const server: ArchiveServer = {
    url,
    archiveUrl: (archive, timestamp) => `${url}/archive/${archive}/${timestamp}`,
    publicKeyArmored: signingKeys.map((k) => k.publicKeyArmored).join("\n"),
    requests,
    faults: [...(options.faults ?? [])],
    setSpec: load,
    file: (path) => files.get(path),
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeAllConnections();
      }),
  };
  return server;
}

function contentType(path: string): string {
  if (path.endsWith(".xz")) return "application/x-xz";
  if (path.endsWith(".gz")) return "application/gzip";
  if (path.endsWith(".deb")) return "application/vnd.debian.binary-package";
  return "text/plain; charset=utf-8";
}

async function buildArchive(spec: ArchiveServerSpec, keys: readonly TestKey[], signedAt: Date | undefined) {
  const date = signedAt === undefined ? {} : { date: signedAt };
  const files = new Map<string, Uint8Array>();
  const suites = new Map<string, SuiteFiles>();
  for (const [archive, snapshots] of Object.entries(spec.archives)) {
    for (const [timestamp, dists] of Object.entries(snapshots)) {
      const root = `/archive/${archive}/${timestamp}`;
      for (const [dist, suite] of Object.entries(dists)) {
        const listed: { path: string; bytes: Uint8Array }[] = [];
        for (const [component, arches] of Object.entries(suite.components)) {
          for (const [arch, stanzas] of Object.entries(arches)) {
            const text = stanzas.map((s) => formatStanza(s, arch, component, files, root)).join("\n");
            const plain = Buffer.from(text);
            const dir = `${component}/binary-${arch}`;
            for (const compression of suite.compressions ?? ["plain", "gz", "xz"]) {
              listed.push({ path: `${dir}/${PLAIN_NAMES[compression]}`, bytes: compress(plain, compression) });
            }
          }
        }
        const release = formatRelease(dist, timestamp, suite, listed);
        const base = `${root}/dists/${dist}`;
        for (const { path, bytes } of listed) {
          files.set(`${base}/${path}`, bytes);
          if (suite.acquireByHash ?? true) files.set(`${base}/${path.replace(/[^/]+$/, "")}by-hash/SHA256/${sha256(bytes)}`, bytes);
        }
        files.set(`${base}/Release`, Buffer.from(release));
        files.set(`${base}/InRelease`, Buffer.from(await clearsign(release, keys, date)));
        const detached = await openpgp.sign({
          // binary mode, as `gpg --detach-sign` makes it
          message: await openpgp.createMessage({ binary: Buffer.from(release) }),
          signingKeys: keys.map((k) => k.privateKey),
          detached: true,
          format: "armored",
          ...date,
        });
        files.set(`${base}/Release.gpg`, Buffer.from(detached as string));
        suites.set(`${base}/InRelease`, { release });
      }
    }
  }
  return { files, suites };
}

/** Release file text like Debian's: fields, then MD5Sum and SHA256 sections with sizes. */
function formatRelease(dist: string, timestamp: string, suite: SuiteSpec, listed: readonly { path: string; bytes: Uint8Array }[]): string {
  const arches = suite.architectures ?? [...new Set(Object.values(suite.components).flatMap((a) => Object.keys(a)))];
  const fields: [string, string | undefined][] = [
    ["Origin", suite.origin ?? "Debian"],
    ["Label", suite.label ?? "Debian"],
    ["Suite", suite.suite ?? dist],
    ["Version", suite.version],
    ["Codename", suite.codename ?? dist],
    ["Date", formatDate(suite.date ?? parseTimestamp(timestamp))],
    ["Valid-Until", suite.validUntil && formatDate(suite.validUntil)],
    ["NotAutomatic", suite.notAutomatic ? "yes" : undefined],
    ["ButAutomaticUpgrades", suite.butAutomaticUpgrades ? "yes" : undefined],
    ["Acquire-By-Hash", (suite.acquireByHash ?? true) ? "yes" : undefined],
    ["Architectures", arches.join(" ")],
    ["Components", Object.keys(suite.components).join(" ")],
    ["Description", `Test archive ${dist}`],
  ];
  const lines = fields.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`);
  for (const [section, algo] of [
    ["MD5Sum", "md5"],
    ["SHA256", "sha256"],
  ] as const) {
    lines.push(`${section}:`);
    for (const { path, bytes } of listed) {
      lines.push(` ${createHash(algo).update(bytes).digest("hex")} ${String(bytes.length).padStart(16)} ${path}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Turns a stanza into text ending with a newline. Object stanzas get Architecture (the index arch),
 * Version, Maintainer, Filename, Size, SHA256 and Description unless given; their fake .deb is served.
 */
function formatStanza(stanza: Stanza, arch: string, component: string, files: Map<string, Uint8Array>, root: string): string {
  if (typeof stanza === "string") return stanza.replace(/\n*$/, "\n");
  const name = String(stanza.Package ?? "");
  if (name === "") throw new Error(`archive server: stanza without Package: ${JSON.stringify(stanza)}`);
  const version = String(stanza.Version ?? "1.0-1");
  const architecture = String(stanza.Architecture ?? arch);
  const fields: Record<string, string | number> = {
    Package: name,
    Version: version,
    Architecture: architecture,
    Maintainer: "Test Maintainers <test@test.invalid>",
    ...stanza,
  };
  if (stanza.Filename === undefined) {
    const prefix = name.startsWith("lib") ? name.slice(0, 4) : name.slice(0, 1);
    const filename = `pool/${component}/${prefix}/${name}/${name}_${version.replace(/^\d+:/, "")}_${architecture}.deb`;
    const deb = Buffer.from(`!<arch>\nfake deb ${name} ${version} ${architecture}\n`);
    files.set(`${root}/${filename}`, deb);
    fields.Filename = filename;
    fields.Size ??= deb.length;
    fields.SHA256 ??= sha256(deb);
  }
  fields.Description ??= `${name} test package`;
  return `${Object.entries(fields)
    .map(([k, v]) => `${k}: ${formatValue(String(v))}`)
    .join("\n")}\n`;
}

function formatValue(value: string): string {
  return value
    .split("\n")
    .map((line, i) => (i === 0 ? line : ` ${line === "" ? "." : line}`))
    .join("\n");
}

function compress(bytes: Uint8Array, compression: Compression): Uint8Array {
  if (compression === "plain") return bytes;
  if (compression === "gz") return gzipSync(bytes, { level: 9 });
  const xz = spawnSync("xz", ["-c", "-6", "--check=crc64"], { input: bytes, maxBuffer: 1 << 30 });
  if (xz.error || xz.status !== 0) throw new Error(`archive server: cannot run xz (${xz.error?.message ?? xz.stderr.toString()}); install xz-utils`);
  return xz.stdout;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** 20240706T203757Z → Date */
export function parseTimestamp(timestamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp);
  if (!m) throw new Error(`archive server: snapshot timestamp ${timestamp} is not like 20240706T203757Z`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** Release `Date:` format, e.g. "Sat, 06 Jul 2024 20:37:57 UTC". */
function formatDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "UTC");
}
