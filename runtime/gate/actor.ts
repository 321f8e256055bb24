// Who acts: a human's name, never peh's own. The command line (--as, $PEH_ACTOR, a prompt) and the
// page (`peh ui`) check a name the same way.
import { PehError } from "../../events/index.js";

/** The actor peh records for its own steps: never a human's decision. */
export const SYSTEM_ACTOR = "system";

/** A human's name as given (`from` says where: a flag, the environment, a prompt), or a usage error. */
export function humanName(name: string | undefined, from: string, action: string): string {
  if (name?.trim() === SYSTEM_ACTOR) {
    // Not a missing name: a name that would record the human's decision as peh's own.
    throw new PehError("USAGE", `"${SYSTEM_ACTOR}" (${from}) is peh's own actor name, not a human's; nothing was recorded`, "give a human's name: --as NAME (or set PEH_ACTOR)");
  }
  if (!name || name.trim() === "") {
    throw new PehError("USAGE", `peh needs to know who ${action} (a human's name, recorded in the log)`, "pass --as NAME (or set PEH_ACTOR)");
  }
  return name.trim();
}
