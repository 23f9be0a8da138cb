/**
 * Makes log text safe to print in an admin's terminal: SGR colour sequences (`ESC [ … m`) are
 * kept, every other escape or control sequence is replaced by a visible `\xNN`, so a build
 * cannot set the window title, plant an OSC 8 link, move the cursor or clear the screen.
 * @example terminalSafe('\x1b[31mred\x1b[0m \x1b]0;pwned\x07') // '\x1b[31mred\x1b[0m \\x1b]0;pwned\\x07'
 */
export function terminalSafe(text: string): string {
  // C0 controls but tab and newline, DEL, and the C1 range (8-bit CSI, OSC, ...).
  return text.replace(/\x1b\[[0-9;:]*m|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g, (m) =>
    m.length > 1 ? m : `\\x${m.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
