import { styleText } from "node:util";
import type { CliIo } from "../io.js";

export type Style = Parameters<typeof styleText>[0];
/** Wraps text in a terminal style, or returns it as it is when colour is off. */
export type Paint = (style: Style, text: string) => string;

/**
 * Colour is for terminals: on when the stream is a TTY, off with `--no-color` or a non-empty NO_COLOR
 * (https://no-color.org).
 */
export function isColorEnabled(isTTY: boolean | undefined, env: CliIo["env"], noColorFlag: boolean): boolean {
  return isTTY === true && !noColorFlag && (env.NO_COLOR ?? "") === "";
}

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  // Node.js 22+ would check process.stdout itself; the decision above is ours (the stream may be stderr).
  const options = { validateStream: false } as unknown as never;
  return (style, text) => (styleText as (s: Style, t: string, o: never) => string)(style, text, options);
}

/** The painter for what a command writes on stdout (findings, diffs). */
export function stdoutPaint(io: CliIo, noColorFlag: boolean): Paint {
  return painter(isColorEnabled(io.stdoutIsTTY, io.env, noColorFlag));
}
