// The reader's time zone, from TZ (else the system's): the text views print every time in it,
// labelled with its offset (projections/text/time-format.ts). --json keeps ISO-8601 UTC.
import { timeFormat } from "../projections/text/time-format.js";

export const localTime = timeFormat(Intl.DateTimeFormat().resolvedOptions().timeZone);
