import { terminalSafe } from '../../edge/http/terminal-safe.ts';
import type { LogEvent } from '../../shared/client/follow-logs.ts';

/** CSI and OSC escape sequences: what a build log's colours and titles are made of. */
const ESC = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
export const stripAnsi = (s: string) => (s.includes('\x1b') ? s.replace(ESC, '') : s);

/** Keep colours only on a terminal, and never with NO_COLOR set (no-color.org). */
export const keepColours = (stream: NodeJS.WriteStream, env = process.env) =>
  stream.isTTY === true && !env.NO_COLOR;

/**
 * Writes a followed job's events as text: lines as they are (stderr lines too, on stdout, so
 * the order is kept), steps as `==> step start|end`, the end as one summary line on stderr.
 */
export function logPrinter(out: NodeJS.WriteStream = process.stdout, err = process.stderr) {
  const colours = keepColours(out);
  // On a terminal only SGR colours pass; a title change or an OSC 8 link is shown as text.
  const text = (s: string) => (colours ? terminalSafe(s) : stripAnsi(s));
  return (event: LogEvent) => {
    if (event.type === 'lines') {
      out.write(event.lines.map((l) => `${text(l.x)}\n`).join(''));
    } else if (event.type === 'step') {
      const { step, phase, ok, note } = event.step;
      out.write(
        `==> ${step} ${phase}${ok === false ? ' (failed)' : ''}${note ? `: ${note}` : ''}\n`,
      );
    } else if (event.type === 'reconnecting') {
      err.write(`rbee: log stream lost (${event.error}); resuming (attempt ${event.attempt})\n`);
    } else if (event.type === 'end') {
      const { state, error } = event.state;
      err.write(`job ${state}${error ? `: ${error.message}` : ''}\n`);
    }
  };
}
