// `peh ui [--port N] [--no-open]`: the runs of the store in a browser, live, with time travel and
// the human actions; `peh export [RUN] --html [--out FILE]`: the same view as one read-only file.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { PehError, type RunId } from "../../events/index.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { placeOf } from "../../runtime/store/place.js";
import { exportHtml } from "../../runtime/ui/export.js";
import { startUiServer } from "../../runtime/ui/server.js";
import { storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";
import { RUN_ARGUMENT } from "../run-argument.js";

export function uiCommand(program: Command, io: Io): void {
  program
    .command("ui")
    .summary("the runs in a browser: the plan's graph, live, with time travel and the human actions")
    .description(
      "Serve a local page on 127.0.0.1 showing the runs of the store (the list follows the store live): a run's " +
        "whole plan as a graph beside the selected task's details and attempts (with their output), a timeline with " +
        "one bar per attempt, the event log with filters and a link per event, a time-travel slider (the page shows " +
        "the state right after any event, folded in the browser by the same code as `peh replay --at`), and the " +
        "actions the run waits for: approve (typing every risky phrase), ask a question first or answer the open " +
        "one, skip a task, reject, decide retry|skip|abort, trust a worker or a directory. The page follows the run " +
        "live. Actions are checked on the server by the same code as the CLI and recorded with your name and " +
        "via: web.\n\n" +
        "Only this machine can reach it: the server binds 127.0.0.1, answers only to its own host names, and wants " +
        "the random token the printed URL carries on every request. Stop it with Ctrl-C.",
    )
    .option("--port <n>", "the port to listen on (default: a free one)")
    .option("--no-open", "print the URL without opening a browser")
    .option("--json", "print {url, port, store} as one JSON line once it listens (it still serves until stopped)")
    .addHelpText(
      "after",
      "\nExamples:\n  peh ui\n  peh ui --port 8750 --no-open\n\n" +
        "Try it: peh plan --from examples/ui-tour.yaml, then peh ui; approve in the page with the phrase, run\n" +
        "peh run --wait --trust-root . in another terminal, and answer its failure from the page (README: peh ui).",
    )
    .action(async (options: { port?: string; open: boolean; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const port = portOf(options.port);
      const server = await startUiServer({ store, port });
      const p = paint(io);
      if (options.json) printJson(io, { url: server.url, port: server.port, store: placeOf(store).where });
      else io.out(`${p.green("✓")} peh ui serves ${placeOf(store).where} at\n  ${server.url}\n(only this machine can reach it; Ctrl-C stops it)`);
      if (options.open) openBrowser(server.url);
      await new Promise<void>((done) => {
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
      });
      await server.close();
      await store.close();
    });
}

export function exportCommand(program: Command, io: Io): void {
  program
    .command("export")
    .summary("a run as one self-contained, read-only HTML file")
    .description(
      "Write a run as one HTML file with the page of `peh ui` and the run's events (and its attempts' output) " +
        "inlined: it opens offline from a file: URL, anywhere, with the graph, the details, the timeline, the log and " +
        "the time-travel slider, read-only. Send it to a colleague. The file holds what the log holds: the output " +
        "is redacted as `peh output` shows it, but read it before you send it.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--html", "write HTML (the only format for now; required)")
    .option("--out <file>", "where to write it (default: RUN.html in this directory; - for stdout)")
    .option("--json", "print {run_id, file, bytes} once written")
    .addHelpText("after", "\nExamples:\n  peh export --html\n  peh export r-20260115-142345-ab12 --html --out release.html")
    .action(async (runArg: string | undefined, options: { html?: boolean; out?: string; json?: boolean }, command: Command) => {
      if (!options.html) throw new PehError("USAGE", "say the format to export: --html (the only one for now)", "peh export --html --out run.html");
      const store = storeOf(command);
      const runId: RunId = await resolveRunId(store, runArg);
      const html = await exportHtml(store, runId);
      if (options.out === "-") return io.out(html.trimEnd());
      const file = resolve(options.out ?? `${runId}.html`);
      await writeFile(file, html);
      if (options.json) return printJson(io, { run_id: runId, file, bytes: Buffer.byteLength(html) });
      io.out(`${paint(io).green("✓")} wrote ${runId} to ${file} (${Math.round(html.length / 1024)} KB); it opens offline in any browser`);
    });
}

function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new PehError("USAGE", `--port wants a port number from 1 to 65535, not "${text}"`, "peh ui --port 8750, or leave --port out for a free one");
  return port;
}

/** Opens `url` in the desktop's browser, if there is one; the printed URL is enough otherwise. */
function openBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(opener, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the URL is printed.
  }
}
