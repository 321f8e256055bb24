// The live view of `peh run` on a terminal: the permanent progress lines scroll as off a
// terminal, and one status line below them, redrawn in place, shows what runs now and for how
// long. Off a terminal (or with --json) there is no status line, only the plain lines.
import type { ProgressLine } from "../../runtime/execution/orchestrator.js";
import { paint, type Io } from "../output.js";
import { renderProgress } from "./progress.js";

const CLEAR_LINE = "\r\x1b[2K";
const REDRAW_MS = 250;

export class LiveView {
  private readonly running = new Map<string, { label: string; since: number }>();
  /** Each task's latest outcome: a failure that a retry then fixes counts once, as a success. */
  private readonly outcomes = new Map<string, boolean>();
  private total = 0;
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: Io,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** One progress event: a task that started joins the status line; anything else is printed above it. */
  show(line: ProgressLine): void {
    if (line.kind === "started") {
      this.total = line.total;
      this.running.set(line.task, { label: line.attempt > 1 ? `${line.task} (attempt ${line.attempt})` : line.task, since: this.now() });
    } else {
      this.clear();
      this.io.out(renderProgress(this.io, line));
      if (line.kind === "task") {
        this.total = line.total;
        this.running.delete(line.task);
        this.outcomes.set(line.task, line.ok);
      }
    }
    this.draw();
  }

  /** The status line: the tasks under way, longest-running first, and how many are done. */
  status(columns = Number.POSITIVE_INFINITY): string {
    const p = paint(this.io);
    const now = this.now();
    const tasks = [...this.running.values()]
      .sort((a, b) => a.since - b.since)
      .map((task) => `${task.label} ${((now - task.since) / 1000).toFixed(1)}s`);
    const failed = [...this.outcomes.values()].filter((ok) => !ok).length;
    const done = `(${this.outcomes.size}/${this.total} done${failed ? `, ${failed} failed` : ""})`;
    let running = tasks.length ? `running ${tasks.join(" · ")}` : "idle";
    // Fit one terminal line: a wrapped status line could not be redrawn in place.
    const room = columns - done.length - 4;
    if (running.length > room) running = `${running.slice(0, Math.max(room - 1, 0))}…`;
    return `${p.cyan("▸")} ${running} ${p.dim(done)}`;
  }

  /** Removes the status line for good (before the summary, or when the run stops). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    if (!this.io.live) return;
    if (this.running.size === 0) {
      this.stop();
      return;
    }
    this.io.live(`${CLEAR_LINE}${this.status(process.stdout.columns ?? 80)}`);
    this.drawn = true;
    // A redraw timer for the elapsed seconds only; it never keeps the process alive.
    this.timer ??= setInterval(() => this.draw(), REDRAW_MS).unref();
  }

  private clear(): void {
    if (this.drawn && this.io.live) this.io.live(CLEAR_LINE);
    this.drawn = false;
  }
}
