// A run's page: header and counts, the time-travel slider, "Required actions", the DAG beside
// the selected task's details, the timeline and the event log. Every part draws from one
// Snapshot (the state right after the slider's seq), so the whole page moves together.
import { h, localTime } from "../dom.js";
import { RunModel, type Snapshot } from "../model.js";
import type { Source } from "../source.js";
import { renderActions } from "./actions.js";
import { DagView } from "./dag.js";
import { renderDetails } from "./details.js";
import { LogView } from "./log.js";
import { TimelineView } from "./timeline.js";

export interface RunPageOptions {
  source: Source;
  runId: string;
  /** The seq of a permalink; undefined follows the live end. */
  seq: number | undefined;
  actor: () => string;
  link: (seq: number | undefined) => string;
}

export class RunPage {
  readonly element: HTMLElement;
  private readonly model = new RunModel();
  private pinned: number | undefined;
  private selected: string | null = null;
  private actionsKey = "";
  private readonly header = h("header", { class: "run-header" });
  private readonly slider = h("input", { type: "range", id: "slider", min: 0, max: 0, value: 0, "aria-label": "the state right after event" });
  private readonly sliderLabel = h("span", { id: "slider-label" });
  private readonly liveButton = h("button", { id: "live", class: "small" }, "Live");
  private readonly connection = h("span", { id: "connection", class: "muted" }, "connecting…");
  private readonly actions = h("section", { id: "actions", class: "panel" });
  private readonly result = h("div", { id: "action-result", class: "result", role: "status" });
  private readonly dag = h("div", { id: "dag", class: "dag-scroll" });
  private readonly details = h("section", { id: "details", class: "panel details" });
  private readonly timeline = h("div", { class: "timeline-box" });
  private readonly logBox = h("section", { class: "panel" });
  private readonly dagView: DagView;
  private readonly logView: LogView;
  private readonly timelineView: TimelineView;
  private readonly stop: () => void;
  private scheduled = false;
  private revealNext = false;

  constructor(private readonly options: RunPageOptions) {
    this.pinned = options.seq;
    this.dagView = new DagView(this.dag, (task) => this.select(task));
    this.logView = new LogView(this.logBox, (seq) => options.link(seq));
    this.timelineView = new TimelineView(this.timeline, (task) => this.select(task));
    this.element = h(
      "main",
      { class: "run-page", "data-run": options.runId },
      this.header,
      h("div", { class: "travel panel" }, h("label", { for: "slider" }, "Time travel "), this.slider, this.sliderLabel, this.liveButton, this.connection),
      h("section", { class: "panel" }, h("h2", {}, "Required actions"), this.actions, this.result),
      h("div", { class: "split" }, h("section", { class: "panel graph" }, h("h2", {}, "Plan"), this.dag), this.details),
      h("section", { class: "panel" }, h("h2", {}, "Timeline"), this.timeline),
      h("h2", {}, "Event log"),
      this.logBox,
    );
    this.slider.addEventListener("input", () => {
      const seq = Number(this.slider.value);
      this.pinned = seq >= this.model.last ? undefined : seq;
      history.replaceState(null, "", this.options.link(this.pinned));
      // The log follows the slider: the event the page is at stays in view.
      this.schedule(true);
    });
    this.liveButton.addEventListener("click", () => this.goLive());
    this.stop = options.source.follow(
      options.runId,
      (events) => {
        this.model.add(events);
        this.logView.add(events);
        this.schedule(false);
      },
      (live) => (this.connection.textContent = options.source.readOnly ? "exported copy (read-only)" : live ? "● live" : "reconnecting…"),
    );
  }

  /** A permalink followed within the page: the state right after `seq`. */
  show(seq: number | undefined): void {
    this.pinned = seq;
    this.schedule(true);
  }

  goLive(): void {
    this.pinned = undefined;
    history.replaceState(null, "", this.options.link(undefined));
    this.schedule(false);
  }

  dispose(): void {
    this.stop();
  }

  private select(task: string): void {
    this.selected = task;
    this.schedule(false);
  }

  private schedule(reveal: boolean): void {
    // A reveal asked for while a frame is already scheduled is kept for that frame.
    this.revealNext ||= reveal;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const revealNow = this.revealNext;
      this.revealNext = false;
      this.render(revealNow);
    });
  }

  private render(reveal: boolean): void {
    const last = this.model.last;
    const seq = this.pinned === undefined ? last : Math.min(this.pinned, last);
    const started = performance.now();
    const snapshot = this.model.at(seq);
    // How long the fold took, for `npm run bench` (ui_slider_fold_ms_100k) and the curious.
    this.slider.dataset.foldMs = (performance.now() - started).toFixed(1);
    this.slider.max = String(last);
    this.slider.value = String(seq);
    this.sliderLabel.textContent = snapshot.live
      ? `live · event #${seq} of ${last}`
      : `the state right after #${seq} ${snapshot.event ? `${snapshot.event.type} at ${localTime(snapshot.event.at)}` : "(before the first event)"} · of ${last}`;
    this.element.classList.toggle("past", !snapshot.live);
    this.renderHeader(snapshot);
    const key = JSON.stringify([snapshot.live, snapshot.seq === last ? "" : snapshot.seq, snapshot.status.awaited, snapshot.state.plan.context.version]);
    if (key !== this.actionsKey) {
      this.actionsKey = key;
      renderActions(this.actions, snapshot, { source: this.options.source, runId: this.options.runId, actor: this.options.actor }, this.result);
    }
    this.selected ??= snapshot.plan?.tasks[0]?.id ?? null;
    this.dagView.update(snapshot, this.selected);
    renderDetails(this.details, snapshot, this.selected, this.options.source, this.options.runId);
    this.timelineView.update(snapshot);
    this.logView.mark(seq, reveal);
  }

  private renderHeader(snapshot: Snapshot): void {
    const status = snapshot.status;
    const p = status.progress;
    const counts: [string, number][] = [
      ["total", p.total],
      ["pending", p.pending],
      ["active", p.active],
      ["succeeded", p.succeeded],
      ["failed", p.failed],
      ["awaiting decision", p.awaiting_decision],
      ["skipped", p.skipped],
      ["upstream failed", p.upstream_failed],
    ];
    this.header.replaceChildren(
      h("h1", {}, h("a", { href: "#/", class: "back" }, "runs"), " / ", this.options.runId),
      h("p", { class: "objective" }, status.objective ?? "(no plan yet)"),
      h(
        "div",
        { class: "counts" },
        h("span", { class: `badge plan-${status.plan.state}`, id: "plan-state" }, status.plan.state),
        ` version ${status.plan.version}${status.plan.approved_version !== null ? ` (approved ${status.plan.approved_version})` : ""} · `,
        counts.filter(([, n]) => n > 0 || p.total === 0).map(([name, n]) => h("span", { class: "count", "data-count": name }, `${n} ${name}`)),
      ),
    );
  }
}
