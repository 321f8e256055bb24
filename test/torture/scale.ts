// How hard the torture suite pushes: bounded inside `npm test` (and so in CI), full with
// `npm run test:torture` (TORTURE=full), as issue 8 asks.
export const FULL = process.env.TORTURE === "full";

/** `full` under `npm run test:torture`, `bounded` otherwise. */
export function scale(full: number, bounded: number): number {
  return FULL ? full : bounded;
}

/** The line the README quotes for each part, printed once per part. */
export function summary(line: string): void {
  process.stdout.write(`${line}\n`);
}
