/** A sleep that can be cut short, so a sweep waiting for the next retry wakes for new work or a stop. */
export class Nap {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // A nap never keeps the process alive on its own.
      timer.unref();
      this.wakeUp = done;
    });
  }

  interrupt(): void {
    this.wakeUp?.();
  }
}
