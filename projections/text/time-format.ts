// Pure. How the text views print a recorded time (the log holds ISO-8601 UTC): in the time zone
// the caller names (the command line names the reader's, from TZ), always followed by that zone's
// offset, so that no time can be read in the wrong zone. The --json forms keep the ISO-8601 UTC.

/** A recorded ISO time as a view prints it. */
export type TimeFormat = (iso: string) => string;

const QUARTER_HOUR_MS = 15 * 60_000;

/**
 * Times in `zone` (an IANA name): `2026-01-15 14:23:45 UTC` for an offset of zero,
 * `2026-01-15 19:53:45 UTC+05:30` in Asia/Kolkata. Zone offsets change only on a quarter hour, so
 * one look-up in the zone's rules serves every time of that quarter hour: a long log stays cheap.
 *
 * @example timeFormat("Europe/Paris")("2026-07-01T12:00:00.000Z") // "2026-07-01 14:00:00 UTC+02:00"
 */
export function timeFormat(zone = "UTC"): TimeFormat {
  // Made on the first time printed: a formatter costs milliseconds, and --json prints none.
  let fields: Intl.DateTimeFormat | undefined;
  const offsets = new Map<number, number>();
  const offsetMinutes = (ms: number): number => {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let offset = offsets.get(quarter);
    if (offset === undefined) {
      const at = quarter * QUARTER_HOUR_MS;
      fields ??= new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
      const part = Object.fromEntries(fields.formatToParts(at).map(({ type, value }) => [type, Number(value)]));
      const wall = Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!);
      offset = Math.round((wall - at) / 60_000);
      offsets.set(quarter, offset);
    }
    return offset;
  };
  return (iso) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return iso;
    const offset = offsetMinutes(ms);
    const local = new Date(ms + offset * 60_000).toISOString().replace("T", " ").slice(0, 19);
    return `${local} ${offsetLabel(offset)}`;
  };
}

/** `UTC`, `UTC+05:30`, `UTC-08:00`. */
function offsetLabel(minutes: number): string {
  if (minutes === 0) return "UTC";
  const size = Math.abs(minutes);
  return `UTC${minutes < 0 ? "-" : "+"}${String(Math.floor(size / 60)).padStart(2, "0")}:${String(size % 60).padStart(2, "0")}`;
}

/** Times in UTC, labelled so: for views that are given no zone. */
export const utcTime: TimeFormat = timeFormat("UTC");
