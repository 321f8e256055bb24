// How the text views spell counts and machine states.
import { describe, expect, it } from "vitest";
import { plural, stateWords } from "../projections/text/words.js";

describe("plural", () => {
  it.each([
    [0, "task", undefined, "0 tasks"],
    [1, "task", undefined, "1 task"],
    [2, "task", undefined, "2 tasks"],
    [1, "retry", "retries", "1 retry"],
    [3, "retry", "retries", "3 retries"],
  ])("%i %s is %s", (count, noun, nouns, expected) => {
    expect(plural(count, noun, nouns)).toBe(expected);
  });
});

describe("stateWords", () => {
  it.each([
    ["succeeded", "succeeded"],
    ["awaiting_decision", "awaiting decision"],
    ["cli_entry.pending", "cli entry: pending"],
    ["system_prompt_fastpath.running", "system prompt fastpath: running"],
  ])("%s reads %s", (state, expected) => {
    expect(stateWords(state)).toBe(expected);
  });
});
