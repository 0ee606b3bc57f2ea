import { formatReportTable } from "../../core/report/format-table.js";
import { type Command, writeJson } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { planFromCli, UPDATE_OPTIONS } from "./update.js";

export const outdatedCommand: Command = {
  name: "outdated",
  summary: "show what update would change; writes nothing",
  usage: "deb-lock outdated [MANIFEST.yaml ...] [--snapshot latest|TIMESTAMP] [options]",
  help: `Plans the same update as \`deb-lock update\` and prints the table of packages that would change
(package, archs, old → new version, suite, dependencies). Writes nothing and exits 0, also when
the update would find problems (they are listed).

Options:
  --snapshot latest|TIMESTAMP
                         compare against the latest usable snapshot (default) or the last run at or
                         before TIMESTAMP
  --include-today        also consider runs of the current UTC day
  --no-new-deps          list newly required dependencies as problems

With --json, prints {ok, report} (templates/update-report.schema.json).`,
  options: { ...UPDATE_OPTIONS },
  async run(ctx) {
    const { plan } = await planFromCli(ctx);
    if (ctx.options.json) writeJson(ctx.io, "outdated", { ok: plan.problems.length === 0, report: plan.report });
    else ctx.io.stdout.write(formatReportTable(plan.report));
    return ExitCode.OK;
  },
};
