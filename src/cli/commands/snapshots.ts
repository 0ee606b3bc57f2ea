import { DEFAULT_TIMELINES, findLatestSnapshots, ruleOfService, type SnapshotTimeline } from "../../app/indexes/snapshots.js";
import { UsageError } from "../../core/errors.js";
import { isSnapshotTimestamp } from "../../core/snapshot/timestamp.js";
import { withArchive } from "../archive-session.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { clockOf } from "./update.js";

export const snapshotsCommand: Command = {
  name: "snapshots",
  summary: "show the latest usable snapshot timestamp of each archive",
  usage: "deb-lock snapshots [--archive NAME ...] [--at TIMESTAMP] [options]",
  help: `Reads snapshot.debian.org's month listings (/archive/<archive>/?year=YYYY&month=MM) and prints the
latest import run of each archive, looking back into earlier months when needed. Runs of the current
UTC day are skipped: their import may not be complete. debian and debian-security have independent
timestamps.

Options:
  --archive NAME         archive to look up (repeatable; default: debian and debian-security)
  --service URL          snapshot service root (default https://snapshot.debian.org; mirrors apply)
  --at TIMESTAMP         the latest run at or before this instant (YYYYMMDDTHHMMSSZ)
  --include-today        also consider runs of the current UTC day

The clock is the system's; set DEB_LOCK_NOW=YYYYMMDDTHHMMSSZ to run as of another instant.`,
  options: {
    archive: { type: "string", multiple: true },
    service: { type: "string" },
    at: { type: "string" },
    "include-today": { type: "boolean" },
  },
  async run(ctx) {
    if (ctx.positionals.length > 0)
      throw new UsageError(`snapshots takes no arguments (got ${ctx.positionals.join(" ")})`, { hint: "use --archive NAME" });
    const at = ctx.values.at as string | undefined;
    if (at !== undefined && !isSnapshotTimestamp(at))
      throw new UsageError(`--at ${JSON.stringify(at)} is not a snapshot timestamp`, { hint: "write a UTC timestamp like 20240706T203757Z" });
    const service = ((ctx.values.service as string | undefined) ?? "https://snapshot.debian.org").replace(/\/+$/, "");
    const archives = ctx.values.archive as string[] | undefined;
    const timelines: SnapshotTimeline[] =
      archives === undefined && ctx.values.service === undefined
        ? [...DEFAULT_TIMELINES]
        : (archives ?? ["debian", "debian-security"]).map((archive) => ({ serviceRoot: service, archive, rule: ruleOfService(service) }));
    const found = await withArchive(ctx, ({ http }) =>
      findLatestSnapshots(timelines, {
        http,
        now: clockOf(ctx.io.env),
        skipToday: ctx.values["include-today"] !== true,
        ...(at === undefined ? {} : { at }),
      }),
    );
    if (ctx.options.json) {
      writeJson(ctx.io, "snapshots", { snapshots: found.map((f) => ({ host: f.host, archive: f.archive, timestamp: f.timestamp, rule: f.rule })) });
    } else {
      const width = Math.max(...found.map((f) => f.archive.length));
      for (const f of found) ctx.io.stdout.write(`${f.archive.padEnd(width)}  ${f.timestamp}\n`);
    }
    return ExitCode.OK;
  },
};
