// Pure. How the text views spell what they count and the states they show: "1 task", "2 tasks";
// `cli_entry.pending` as "cli entry: pending". The --json forms keep the machines' own names.

/**
 * A count with its noun, singular for exactly one.
 *
 * @example plural(1, "task") // "1 task";  plural(3, "retry", "retries") // "3 retries"
 */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/**
 * A machine state in words: underscores become spaces and a nested state follows its parent
 * after a colon.
 *
 * @example stateWords("cli_entry.pending") // "cli entry: pending";  stateWords("awaiting_decision") // "awaiting decision"
 */
export function stateWords(state: string): string {
  return state.split(".").map((part) => part.replaceAll("_", " ")).join(": ");
}
