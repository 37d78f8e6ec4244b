/**
 * One run at a time of an async step, for the book's background work (the money pass, the mirror
 * flush). A request while a run is in flight makes that run go round once more and waits for it,
 * so requests that arrive together cost one extra round, not one round each.
 */
export class RunInRounds {
  private run: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly step: () => Promise<void>,
    /** Rounds one run goes at most before it yields (the next request starts a new run). */
    private readonly roundsMax: number,
  ) {}

  /** Asks the run in flight to go round once more (its step found more to do than one round does). */
  repeat(): void {
    this.again = true;
  }

  /** Whether a run is in flight. */
  get busy(): boolean {
    return this.run !== null;
  }

  /** Resolves once no run is in flight. */
  async idle(): Promise<void> {
    while (this.run !== null) await this.run;
  }

  /** Runs the step, or joins the run in flight and makes it go round once more. */
  async request(): Promise<void> {
    if (this.run !== null) {
      this.again = true;
      await this.run;
      return;
    }
    this.run = (async () => {
      try {
        for (let round = 0; round < this.roundsMax; round += 1) {
          this.again = false;
          await this.step();
          if (!this.again) break;
        }
      } finally {
        this.run = null;
      }
    })();
    await this.run;
  }
}
