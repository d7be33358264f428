import { backoffDelayMs, type RetryCaps } from "./backoff.ts";

export interface PollLoopOpts extends RetryCaps {
  /** Delay between two successful polls. */
  pollIntervalMs: number;
}

export interface PollLoopModules {
  /** One poll. Resolves true to poll again at once (still behind); throws when L1 failed. */
  poll(): Promise<boolean>;
  /** A failed poll: `failures` in a row so far, next attempt in `retryInMs`. Must not throw. */
  onFailure(error: unknown, failures: number, retryInMs: number): void;
}

/**
 * The polling loop of the L1 followers: poll, wait the interval (or the deterministic backoff
 * after failures), repeat until stopped. The loop never throws; `wakeNow` cuts a wait short.
 */
export class PollLoop {
  readonly #opts: PollLoopOpts;
  readonly #modules: PollLoopModules;
  #failures = 0;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(opts: PollLoopOpts, modules: PollLoopModules) {
    this.#opts = opts;
    this.#modules = modules;
  }

  /** Failed polls in a row (0 once one succeeds). */
  get failures(): number {
    return this.#failures;
  }

  /** Records a successful poll; returns how many failures in a row it ends. */
  succeeded(): number {
    const ended = this.#failures;
    this.#failures = 0;
    return ended;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#done;
  }

  /** Ends the current wait, so the next poll runs at once. */
  wakeNow(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let delay = this.#opts.pollIntervalMs;
      try {
        if (await this.#modules.poll()) delay = 0;
      } catch (error) {
        this.#failures++;
        delay = backoffDelayMs(this.#failures, this.#opts);
        this.#modules.onFailure(error, this.#failures, delay);
      }
      if (!this.#running) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
      this.#wake = undefined;
    }
  }
}
