// The event log, as `peh log` reads it (logReader), virtualized: only the rows in view exist, so
// a log of 100k events scrolls like one of 100, and only those rows are worded. Filters by type,
// task and failures only; each seq is a permalink that puts the whole page at that point.
import type { EventType, PehEvent } from "../../events/index.js";
import { logReader, type LogEntry } from "../../projections/log-view.js";
import { h } from "../dom.js";

const ROW = 22;
/** .log-viewport's height in app.css. */
const VIEWPORT = 360;
const FAILURES: ReadonlySet<EventType> = new Set([
  "TASK_FAILED",
  "FAILURE_CLASSIFIED",
  "RECOVERY_ESCALATION",
  "PERMISSION_REQUIRED",
  "RUN_BUDGET_SPENT",
  "TASK_INTERRUPTED",
  "WORKER_FAILED",
  "BOOTSTRAP_PHASE_FAILED",
  "RUN_CANCELLED",
  "GATE_REJECTED",
]);

/** What the filters look at: the event's own fields, known without wording it. */
interface Row {
  event: PehEvent;
  task: string | null;
  entry?: LogEntry;
}

const taskOf = (event: PehEvent): string | null => {
  const task = (event.data as { task_id?: unknown }).task_id;
  return typeof task === "string" ? task : null;
};

export class LogView {
  private readonly entries: Row[] = [];
  /**
   * Worded only when a row is drawn, so out of order: the view shows what logReader takes from the
   * event itself (type, task, actor, summary), never the task's place in the plan it keeps.
   */
  private readonly read = logReader();
  private shown: Row[] = [];
  private current = 0;
  private readonly viewport = h("div", { class: "log-viewport", id: "log" });
  private readonly spacer = h("div", { class: "log-spacer" });
  private readonly rows = h("div", { class: "log-rows" });
  private readonly type = h("select", { id: "log-type", "aria-label": "event type" }, h("option", { value: "" }, "every type"));
  private readonly task = h("select", { id: "log-task", "aria-label": "task" }, h("option", { value: "" }, "every task"));
  private readonly failures = h("input", { type: "checkbox", id: "log-failures" });
  private readonly count = h("span", { class: "muted", id: "log-count" });
  private readonly types = new Set<string>();
  private readonly tasks = new Set<string>();
  /** Tasks seen but not yet offered in the task filter: added when it is opened (a plan may have thousands). */
  private tasksToOffer: string[] = [];
  /** Kept from scroll events: reading scrollTop while drawing would force a layout of the whole page. */
  private scrollTop = 0;

  constructor(
    container: HTMLElement,
    private readonly link: (seq: number) => string,
  ) {
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    container.replaceChildren(
      h("div", { class: "log-filters" }, this.type, this.task, h("label", {}, this.failures, " failures only"), this.count),
      this.viewport,
    );
    for (const control of [this.type, this.task, this.failures]) control.addEventListener("change", () => this.filter());
    for (const opening of ["pointerdown", "focus", "keydown"]) this.task.addEventListener(opening, () => this.offerTasks());
    this.viewport.addEventListener("scroll", () => {
      this.scrollTop = this.viewport.scrollTop;
      this.paint();
    });
  }

  add(events: readonly PehEvent[]): void {
    for (const event of events) {
      const task = taskOf(event);
      this.entries.push({ event, task });
      if (!this.types.has(event.type)) {
        this.types.add(event.type);
        this.type.append(h("option", { value: event.type }, event.type));
      }
      if (task !== null && !this.tasks.has(task)) {
        this.tasks.add(task);
        this.tasksToOffer.push(task);
      }
    }
    this.filter(false);
  }

  private offerTasks(): void {
    if (this.tasksToOffer.length === 0) return;
    this.task.append(...this.tasksToOffer.map((task) => h("option", { value: task }, task)));
    this.tasksToOffer = [];
  }

  /** Marks the event the page shows the state after, and scrolls it into view when asked. */
  mark(seq: number, reveal: boolean): void {
    this.current = seq;
    if (reveal) {
      // The first row at or after seq (rows are in seq order).
      let low = 0;
      let high = this.shown.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (this.shown[middle]!.event.seq < seq) low = middle + 1;
        else high = middle;
      }
      const index = low < this.shown.length ? low : -1;
      if (index >= 0) this.viewport.scrollTop = this.scrollTop = Math.max(0, index * ROW - VIEWPORT / 2);
    }
    this.paint();
  }

  private filter(paint = true): void {
    const type = this.type.value;
    const task = this.task.value;
    const failures = this.failures.checked;
    this.shown = this.entries.filter((row) => (!type || row.event.type === type) && (!task || row.task === task) && (!failures || FAILURES.has(row.event.type)));
    this.spacer.style.height = `${this.shown.length * ROW}px`;
    this.count.textContent = `${this.shown.length} of ${this.entries.length} events`;
    if (paint) this.paint();
  }

  private paint(): void {
    const first = Math.max(0, Math.floor(this.scrollTop / ROW) - 5);
    // The viewport's height is fixed by the stylesheet: reading clientHeight would force a layout of the whole page.
    const visible = Math.ceil(VIEWPORT / ROW) + 10;
    const slice = this.shown.slice(first, first + visible).map((row) => (row.entry ??= this.read(row.event)));
    this.rows.style.transform = `translateY(${first * ROW}px)`;
    this.rows.replaceChildren(
      ...slice.map((entry) =>
        h(
          "div",
          { class: `log-row${entry.seq === this.current ? " current" : ""}${entry.seq > this.current ? " later" : ""}${FAILURES.has(entry.event) ? " failure" : ""}`, "data-seq": entry.seq },
          h("a", { href: this.link(entry.seq), class: "seq", title: "the state right after this event" }, `#${entry.seq}`),
          h("span", { class: "time" }, entry.timestamp.slice(11, 19)),
          h("span", { class: "type" }, entry.event),
          h("span", { class: "task" }, entry.task_id ?? ""),
          h("span", { class: "summary" }, entry.summary, entry.actor !== "system" ? ` — ${entry.actor}` : ""),
        ),
      ),
    );
  }
}
