import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Month listing pages in the format snapshot.debian.org serves at
 * `/archive/<archive>/?year=YYYY&month=MM`: an XHTML page with one `<a href="<run>/">` link per
 * import run of that month. Used to mount a snapshot service into test servers.
 */

/** `20260801T025533Z` → `2026-08-01 02:55:33`, the link text the real pages show. */
function runLabel(ts: string): string {
  return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)} ${ts.slice(9, 11)}:${ts.slice(11, 13)}:${ts.slice(13, 15)}`;
}

/** The HTML of one month page listing `runs` (timestamps of that month). */
export function formatSnapshotListingPage(archive: string, year: number, month: number, runs: readonly string[]): string {
  const links = [...runs].sort().map((ts) => `<a href="${ts}/">${runLabel(ts)}</a><br />`);
  return `<?xml version="1.0" encoding="utf-8" ?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
\t<head>
\t\t\t<title>${archive}:${year}-${String(month).padStart(2, "0")} - snapshot.debian.org</title>
\t\t<link rel="stylesheet" type="text/css" href="/static/style.css" />
\t</head>
\t<body>
\t\t<div id="top">
\t\t\t<a id="logo" href="/"><img src="/static/images/top.png" alt="snapshot.debian.org" width="644" height="71"/></a>
\t\t</div>
\t\t\t<div id="pageheader">
\t\t\t<ul id="breadcrumbs" style="font-size:small;">
\t\t\t\t\t<li><a href="/">snapshot.debian.org</a> /</li>
\t\t\t\t\t<li><a href="/archive/">archive</a> /</li>
\t\t\t\t\t<li><a href="/archive/${archive}/">${archive}</a> /</li>
\t\t\t\t\t<li>${year}-${String(month).padStart(2, "0")}</li>
\t\t\t</ul>
\t\t\t</div>

${links.join("\n")}

\t\t<div id="bottom">
\t\t\tPlease <a href="http://www.debian.org/Bugs/Reporting">report bugs</a>.
\t\t</div>
\t</body>
</html>
`;
}

export type ListingHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A request handler for `/archive/<archive>/?year=YYYY&month=M[M]` answering from `runs` (per
 * archive, any order). A month without runs, an unknown archive or a bad query answers 404, as the
 * real service does for months it has no imports for. `served` collects the month pages asked for.
 */
export function snapshotListingHandler(runs: Readonly<Record<string, readonly string[]>>, served: string[] = []): ListingHandler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = /^\/archive\/([^/]+)\/$/.exec(url.pathname);
    const year = Number(url.searchParams.get("year"));
    const month = Number(url.searchParams.get("month"));
    const archive = m ? decodeURIComponent(m[1]!) : undefined;
    const prefix = `${String(year).padStart(4, "0")}${String(month).padStart(2, "0")}`;
    const inMonth = archive === undefined ? [] : (runs[archive] ?? []).filter((ts) => ts.startsWith(prefix));
    served.push(`${archive ?? url.pathname} ${prefix}`);
    if (!Number.isInteger(year) || !Number.isInteger(month) || inMonth.length === 0) {
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end("<html><body><p>404 Not Found</p></body></html>\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(formatSnapshotListingPage(archive!, year, month, inMonth));
  };
}

/** Routes (path → handler) for every archive in `runs`, for a test server's extra routes. */
export function snapshotListingRoutes(runs: Readonly<Record<string, readonly string[]>>, served: string[] = []): Record<string, ListingHandler> {
  const handler = snapshotListingHandler(runs, served);
  return Object.fromEntries(Object.keys(runs).map((archive) => [`/archive/${archive}/`, handler]));
}

export interface SnapshotService {
  /** e.g. http://127.0.0.1:39021: mirror https://snapshot.debian.org to it */
  readonly url: string;
  /** Month pages served so far, as `<archive> <YYYYMM>` */
  readonly served: string[];
  /** Replaces the runs (e.g. a new import run appears) */
  setRuns(runs: Readonly<Record<string, readonly string[]>>): void;
  close(): Promise<void>;
}

/**
 * A snapshot service in front of an archive server: month listing pages (`/archive/<archive>/?year=&month=`)
 * are answered from `runs`; every other request is passed to `upstream` (e.g. the fake archive's url).
 */
export async function startSnapshotService(runs: Readonly<Record<string, readonly string[]>>, upstream: string): Promise<SnapshotService> {
  const { createServer, request } = await import("node:http");
  const served: string[] = [];
  let handler = snapshotListingHandler(runs, served);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (/^\/archive\/[^/]+\/$/.test(url.pathname) && url.searchParams.has("year")) {
      handler(req, res);
      return;
    }
    const target = new URL(req.url ?? "/", upstream);
    const proxied = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    proxied.on("error", () => res.destroy());
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    setRuns(next) {
      handler = snapshotListingHandler(next, served);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
