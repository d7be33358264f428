/**
 * A progress bar on stderr (stdout stays clean for --json). On a terminal it redraws one line;
 * elsewhere (CI logs, pipes) it prints a line at each tenth so logs stay short.
 */
export class ProgressBar {
  private readonly label: string;
  private readonly total: number;
  private readonly tty: boolean;
  private lastTenth = -1;
  private lastDraw = 0;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.total = Math.max(1, total);
    this.tty = stream.isTTY === true;
  }

  update(done: number, note = ""): void {
    const fraction = Math.min(1, done / this.total);
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 50 && done < this.total) return;
      this.lastDraw = now;
      const width = 30;
      const full = Math.round(fraction * width);
      process.stderr.write(
        `\r${this.label} [${"#".repeat(full)}${"-".repeat(width - full)}] ${done}/${this.total} ${note}`
          .padEnd(100)
          .slice(0, 120),
      );
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === this.lastTenth) return;
      this.lastTenth = tenth;
      process.stderr.write(`${this.label} ${Math.round(fraction * 100)}% (${done}/${this.total}) ${note}\n`);
    }
  }

  done(): void {
    if (this.tty) process.stderr.write("\n");
  }
}
