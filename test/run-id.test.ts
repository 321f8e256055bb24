// Which run a RUN argument names: every command that takes one resolves it here.
import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../events/adapters.js";
import { isPehError, RunIdSchema } from "../events/index.js";
import { resolveRunId } from "../runtime/store/run-id.js";
import { storeEvents } from "./support/store-events.js";

async function storeWith(...ids: string[]): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  for (const id of ids) await store.append(RunIdSchema.parse(id), storeEvents(RunIdSchema.parse(id), 1, 1), 0);
  return store;
}

async function refusal(store: InMemoryEventStore, run: string) {
  const error = await resolveRunId(store, run).then(() => undefined, (caught: unknown) => caught);
  if (!isPehError(error)) throw new Error(`resolveRunId(${run}) did not refuse with a PehError`);
  return error;
}

const RUNS = ["r-20260115-142345-ab12", "r-20260115-150000-cd34", "r-20260116-090000-ef56"];

describe("resolveRunId", () => {
  it("takes the most recent run when none is named, and for `latest`", async () => {
    const store = await storeWith(...RUNS);
    expect(await resolveRunId(store)).toBe(RUNS[2]);
    expect(await resolveRunId(store, "latest")).toBe(RUNS[2]);
  });

  it("takes a run by its exact id, even one that is the start of another's", async () => {
    const store = await storeWith("r-1", "r-10", "latest-but-not-last", "latest");
    expect(await resolveRunId(store, "r-1")).toBe("r-1");
    expect(await resolveRunId(store, "latest")).toBe("latest");
  });

  it("takes a run by a prefix of its id that no other run's id starts with", async () => {
    const store = await storeWith(...RUNS);
    expect(await resolveRunId(store, "r-20260116")).toBe(RUNS[2]);
    expect(await resolveRunId(store, "r-20260115-15")).toBe(RUNS[1]);
  });

  it("refuses a prefix that several runs share, listing them (exit 2)", async () => {
    const error = await refusal(await storeWith(...RUNS), "r-20260115");
    expect(error.code).toBe("USAGE");
    expect(error.message).toBe(`"r-20260115" is the start of 2 runs' ids: ${RUNS[0]}, ${RUNS[1]}`);
    expect(error.hint).toContain("give more of the run's id");
  });

  it("refuses a run that does not exist, suggesting the one a typo away", async () => {
    const error = await refusal(await storeWith(...RUNS), "r-20260117-09");
    expect(error.code).toBe("RUN_NOT_FOUND");
    expect(error.message).toBe('there is no run "r-20260117-09" in this store');
    expect(error.hint).toContain(`did you mean ${RUNS[2]}?`);
    expect((await refusal(await storeWith(...RUNS), "nothing-like-it")).hint).toBe("list the runs with `peh runs`, or pass --store DIR");
  });

  it("says the store has no runs when there are none, even for `latest`", async () => {
    const store = new InMemoryEventStore();
    expect((await refusal(store, "latest")).code).toBe("NO_RUNS");
    expect((await refusal(store, "r-1")).code).toBe("RUN_NOT_FOUND");
  });
});
