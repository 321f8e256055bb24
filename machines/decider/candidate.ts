// Pure. An event as a command proposes it, before the decider stamps its envelope: the shared
// currency of the decider and the recipes it calls (recovery, wrap-up), in a module of its own so
// that they import it without importing the decider.
import type { PehEventInput } from "../../events/index.js";

type Envelope = "id" | "run_id" | "seq" | "at" | "actor" | "via" | "entity" | "from" | "to";

/** An event as a command proposes it: type and data; the decider fills in the envelope. */
export type Candidate = PehEventInput extends infer E ? (E extends PehEventInput ? Omit<E, Envelope> : never) : never;

/** Would this candidate be legal now? Asks the machines without changing anything. */
export type Legality = (candidate: Candidate) => boolean;
