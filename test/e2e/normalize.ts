/**
 * Makes `go test` output from two runs comparable: a local amd64 run and a remote arm64
 * run of the same test must print the same thing except for what legitimately differs.
 * What is removed, and why:
 * - durations: `(0.00s)` on `--- PASS` lines, `\t0.012s` on `ok`/`FAIL` summary lines;
 * - goroutine numbers: the runtime numbers goroutines in creation order, which differs
 *   by architecture and run (seen: 18 on amd64, 20 on arm64 for the same nil deref);
 * - stack frame arguments and PC offsets (`+0x24e`): addresses and code layout are
 *   per architecture;
 * - `pc=`/`sp=`/`fp=`/`lr=` values and `PC=` of fatal signals, and register dumps
 *   (`rax 0x0` on amd64, `x0 0x0` on arm64) that GOTRACEBACK=crash style dumps print.
 * Everything else, file:line positions included, must match byte for byte.
 */

const DURATION_IN_PARENS = /\((\d+(\.\d+)?)s\)/g;
const DURATION_AFTER_TAB = /\t\d+(\.\d+)?s(?=\t|$)/g;
const PC_OFFSET = /^(\t.*:\d+) \+0x[0-9a-f]+$/;
const GOROUTINE = /^goroutine \d+ \[/;
const REGISTER_VALUE = /\b(pc|sp|fp|lr)=0x[0-9a-f]+/g;
const SIGNAL_PC = /^PC=0x[0-9a-f]+/;
const REGISTER_LINE =
  /^(r[a-z0-9]+|e[a-z]{2}|[xr]\d{1,2}|pc|sp|lr|fault|rip|rflags|eflags|[cdefgs]s|fpsr|fpcr)\s+0x[0-9a-f]+$/;

/** Replaces the arguments of a stack frame line `pkg.Func(0xc000012345, {0x1, 0x2})`. */
function frameArgs(line: string): string {
  if (line === '' || /^\s/.test(line) || !line.endsWith(')')) return line;
  // The argument list opens at the '(' that matches the final ')'.
  let depth = 0;
  for (let i = line.length - 1; i >= 0; i--) {
    const ch = line[i];
    if (ch === ')') depth++;
    else if (ch === '(') {
      depth--;
      if (depth === 0) {
        const name = line.slice(0, i);
        // Frames are `import/path.Func`, `pkg.(*T).Method`, `panic`: never a space.
        if (name === '' || /\s/.test(name)) return line;
        return `${name}(...)`;
      }
    }
  }
  return line;
}

export function normalizeLine(line: string): string {
  if (REGISTER_LINE.test(line)) return '';
  let out = line
    .replace(DURATION_IN_PARENS, '(X.XXs)')
    .replace(DURATION_AFTER_TAB, '\tX.XXs')
    .replace(PC_OFFSET, '$1')
    .replace(GOROUTINE, 'goroutine N [')
    .replace(REGISTER_VALUE, '$1=0xX')
    .replace(SIGNAL_PC, 'PC=0xX');
  out = frameArgs(out);
  return out;
}

/** Normalizes every line; register-dump lines disappear entirely. */
export function normalize(output: string): string {
  return output
    .split('\n')
    .filter((l) => !REGISTER_LINE.test(l))
    .map(normalizeLine)
    .join('\n');
}
