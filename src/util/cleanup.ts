/**
 * A stack of undo steps, registered as resources are acquired and run in reverse
 * order from a `finally`. A step that fails becomes a warning on stderr, never a
 * thrown error: the run's own result (exit status, first error) must win.
 */
export type CleanupStep = () => void | Promise<void>;

export class Cleanup {
  private steps: { name: string; fn: CleanupStep }[] = [];
  private warn: (line: string) => void;

  constructor(warn: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
    this.warn = warn;
  }

  add(name: string, fn: CleanupStep): void {
    this.steps.push({ name, fn });
  }

  /** Runs every step once, newest first, each with its own time limit. */
  async run(timeoutMs = 5000): Promise<void> {
    while (this.steps.length > 0) {
      const { name, fn } = this.steps.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (e) {
        this.warn(`gocpu: warning: cleanup "${name}" failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
