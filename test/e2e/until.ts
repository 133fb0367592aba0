/** Polls `ok` every `everyMs` until it holds; throws after `ms` (a bound, never a timing under test). */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
