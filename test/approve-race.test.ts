// The approval service against another writer: an approval is of the version its actor saw.
// Another writer lands between the approval's read and its append; the approval judges the same
// version again and never a newer one.
import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../events/adapters.js";
import type { PehEvent, RunId } from "../events/index.js";
import { RunHandle } from "../runtime/command-handler.js";
import { approveRun, clarifyRun, modifyRun } from "../runtime/gate/gate.js";
import { AT, RUN, approve, create } from "./support/fixtures.js";

const PHRASE = "deploy to production";

/** A store where `meanwhile` runs once, just before the first approval is appended. */
class InterleavedStore extends InMemoryEventStore {
  constructor(private meanwhile?: (store: InterleavedStore) => Promise<unknown>) {
    super();
  }

  override async append(runId: RunId, events: readonly PehEvent[], expectedVersion: number) {
    const other = this.meanwhile;
    if (other && events.some((event) => event.type === "GATE_APPROVED")) {
      this.meanwhile = undefined;
      await other(this);
    }
    return super.append(runId, events, expectedVersion);
  }
}

async function planned(meanwhile: (store: InterleavedStore) => Promise<unknown>): Promise<InterleavedStore> {
  const store = new InterleavedStore(meanwhile);
  await (await RunHandle.open(store, RUN)).handle(create());
  return store;
}

const approvals = async (store: InMemoryEventStore) => (await store.read(RUN)).filter((event) => event.type === "GATE_APPROVED");

describe("approval › another writer between the read and the append", () => {
  it("refuses when a modification made a new version meanwhile, names it, and approves nothing", async () => {
    const store = await planned((s) => modifyRun(s, RUN, { actor: "mallory", modification: { kind: "skip", id: "lint" } }));
    const refused = await approveRun(store, RUN, { actor: "ana", confirmations: [PHRASE] }).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "APPEND_CONFLICT",
      message: `${RUN}'s plan changed to version 2 (by mallory) after you reviewed version 1; nothing was approved`,
      hint: `review the new version (peh show ${RUN}), then: peh approve ${RUN} --version 2 --as ana --confirm "${PHRASE}"`,
    });
    expect(await approvals(store)).toEqual([]);
    expect((await RunHandle.open(store, RUN)).state.plan.context).toMatchObject({ version: 2, approved_version: null });
  });

  it("judges the same version again when the other writer did not change it: refused in plain words by the new state", async () => {
    const asked = await planned((s) => clarifyRun(s, RUN, { actor: "bo", question: "which region?" }));
    await expect(approveRun(asked, RUN, { actor: "ana", confirmations: [PHRASE], version: 1 })).rejects.toThrow(
      "`peh approve` refused: a question about version 1 waits for an answer first",
    );
    expect(await approvals(asked)).toEqual([]);
    const twice = await planned(async (s) => (await RunHandle.open(s, RUN)).handle({ ...approve(), actor: "bo", at: AT }));
    await expect(approveRun(twice, RUN, { actor: "ana", confirmations: [PHRASE], version: 1 })).rejects.toThrow("`peh approve` refused: version 1 is already approved");
    expect((await approvals(twice)).map((event) => [event.actor, event.data.version])).toEqual([["bo", 1]]);
  });
});
