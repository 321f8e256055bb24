// The reader's time zone, from TZ (else the system's): the text views print every time in it,
// labelled with its offset (projections/text/time-format.ts). --json keeps ISO-8601 UTC.
import { timeFormat, type TimeFormat } from "../projections/text/time-format.js";

let local: TimeFormat | undefined;
/** Looks the zone up on the first time printed (a command that prints none never does). */
export const localTime: TimeFormat = (iso) => (local ??= timeFormat(Intl.DateTimeFormat().resolvedOptions().timeZone))(iso);
