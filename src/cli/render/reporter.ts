import type { CliIo } from "../io.js";
import { isColorEnabled, painter } from "./color.js";

/**
 * Progress, warnings and errors go to stderr; results go to stdout.
 * On a terminal progress is one redrawn line; elsewhere (CI logs) plain lines; nothing with --quiet.
 */
export interface Reporter {
  progress(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  verbose(text: string): void;
  /** Clears a pending progress line before other output. */
  done(): void;
}

export function createReporter(io: CliIo, opts: { quiet: boolean; verbose: boolean; noColor?: boolean }): Reporter {
  const paint = painter(isColorEnabled(io.isTTY, io.env, opts.noColor ?? false));
  let lineOpen = false;
  let lastProgress = 0;
  const clear = (): void => {
    if (lineOpen) {
      io.stderr.write("\r\x1b[K");
      lineOpen = false;
    }
  };
  return {
    progress(text) {
      if (opts.quiet) return;
      if (io.isTTY) {
        // Redraw at most ~20 times a second: a terminal is slower than our event rate.
        const now = performance.now();
        if (now - lastProgress < 50) return;
        lastProgress = now;
        const width = 120;
        io.stderr.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
        lineOpen = true;
      } else {
        io.stderr.write(`${text}\n`);
      }
    },
    info(text) {
      if (opts.quiet) return;
      clear();
      io.stderr.write(`${text}\n`);
    },
    warn(text) {
      clear();
      io.stderr.write(`${paint("yellow", "warning:")} ${text}\n`);
    },
    verbose(text) {
      if (!opts.verbose) return;
      clear();
      io.stderr.write(`${paint("dim", text)}\n`);
    },
    done: clear,
  };
}
