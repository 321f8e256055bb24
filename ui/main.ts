// The page of `peh ui` and of `peh export --html`: routes (in the URL's fragment, so every view is
// a link), the token the printed URL carries, the actor's name (asked once, remembered here), and
// the source of events: the server, or the events the export inlined.
import { z } from "zod";
import { h } from "./dom.js";
import { ServerSource, StaticSource, type ExportData, type Source } from "./source.js";
import { RunPage } from "./views/run-page.js";
import { renderRuns } from "./views/runs.js";

const ACTOR_KEY = "peh-actor";

// zod compiles its parsers with new Function unless told not to: CSP default-src 'self' forbids it.
z.config({ jitless: true });

function exported(): ExportData | undefined {
  const inline = document.getElementById("peh-export");
  return inline?.textContent ? (JSON.parse(inline.textContent) as ExportData) : undefined;
}

function boot(): void {
  const data = exported();
  const token = new URLSearchParams(location.search).get("token") ?? "";
  const source: Source = data ? new StaticSource(data) : new ServerSource(token);
  const root = document.getElementById("app")!;
  const actorInput = h("input", { type: "text", id: "actor", placeholder: "your name", "aria-label": "your name, recorded with each action", value: localStorage.getItem(ACTOR_KEY) ?? "" });
  actorInput.addEventListener("change", () => localStorage.setItem(ACTOR_KEY, actorInput.value.trim()));
  const body = h("div", { id: "view" });
  root.replaceChildren(
    h("nav", { class: "top" }, h("a", { href: "#/", class: "brand" }, "peh"), data ? h("span", { class: "muted" }, ` exported ${data.exported_at} · read-only`) : h("label", { class: "who" }, "You are ", actorInput)),
    body,
  );
  if (!data && !token) body.append(h("p", { class: "refused" }, "This page needs the token from the URL `peh ui` printed: open that URL."));

  let page: RunPage | undefined;
  let unwatch: (() => void) | undefined;
  const runLink = (runId: string, seq?: number) => `#/runs/${encodeURIComponent(runId)}${seq === undefined ? "" : `/seq/${seq}`}`;
  const route = () => {
    const match = /^#\/runs\/([^/]+)(?:\/seq\/(\d+))?$/.exec(location.hash);
    const runId = match ? decodeURIComponent(match[1]!) : data?.run_id;
    const seq = match?.[2] === undefined ? undefined : Number(match[2]);
    unwatch?.();
    unwatch = undefined;
    if (runId !== undefined) {
      if (page && page.element.dataset.run === runId) return page.show(seq);
      page?.dispose();
      page = new RunPage({ source, runId, seq, actor: () => actorInput.value.trim(), link: (at) => runLink(runId, at) });
      body.replaceChildren(page.element);
      return;
    }
    page?.dispose();
    page = undefined;
    // The list follows the store live: a new run appears, a run's state and counts change.
    const connection = h("span", { id: "runs-connection", class: "muted" }, "connecting…");
    const list = h("div", {}, h("div", { class: "muted" }, "loading…"));
    body.replaceChildren(h("section", { class: "panel" }, h("h1", {}, "Runs ", connection), list));
    unwatch = source.watchRuns(
      (runs) => renderRuns(list, runs, (id) => runLink(id)),
      (live) => (connection.textContent = live ? "● live" : "reconnecting…"),
      (message) => list.replaceChildren(h("p", { class: "refused" }, message)),
    );
  };
  window.addEventListener("hashchange", route);
  route();
}

boot();
