// Pure. A machine snapshot's state as one dotted name (`running`, `cli_entry.failed`).
import type { StateValue } from "xstate";

export function stateName(value: StateValue): string {
  if (typeof value === "string") return value;
  const [key, child] = Object.entries(value)[0] ?? ["", ""];
  return child === undefined || (typeof child === "object" && Object.keys(child).length === 0)
    ? key
    : `${key}.${stateName(child as StateValue)}`;
}
