// The times the text views print: in the zone they are given, always with its offset.
import { describe, expect, it } from "vitest";
import { timeFormat, utcTime } from "../projections/text/time-format.js";

describe("timeFormat", () => {
  it("prints UTC labelled as UTC", () => {
    expect(utcTime("2026-01-15T14:23:45.678Z")).toBe("2026-01-15 14:23:45 UTC");
  });

  it.each([
    ["Asia/Kolkata", "2026-01-15T14:23:45.000Z", "2026-01-15 19:53:45 UTC+05:30"],
    ["America/Los_Angeles", "2026-01-15T04:00:00.000Z", "2026-01-14 20:00:00 UTC-08:00"],
    ["Europe/Paris", "2026-01-15T14:23:45.000Z", "2026-01-15 15:23:45 UTC+01:00"],
    ["Europe/Paris", "2026-07-15T14:23:45.000Z", "2026-07-15 16:23:45 UTC+02:00"],
  ])("in %s, %s is %s", (zone, iso, expected) => {
    expect(timeFormat(zone)(iso)).toBe(expected);
  });

  it("follows a change of offset to the second, also when it has printed a time just before it", () => {
    const paris = timeFormat("Europe/Paris");
    // Summer time began in Paris on 2026-03-29 at 01:00 UTC: 02:00 local became 03:00.
    expect(paris("2026-03-29T00:59:59.000Z")).toBe("2026-03-29 01:59:59 UTC+01:00");
    expect(paris("2026-03-29T01:00:00.000Z")).toBe("2026-03-29 03:00:00 UTC+02:00");
    expect(paris("2026-03-29T00:59:59.999Z")).toBe("2026-03-29 01:59:59 UTC+01:00");
  });
});
