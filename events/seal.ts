// How a stored event is sealed, shared by every adapter: each carries `end`, the seq its append
// ends at (an append is all or nothing on read), and `hash`, chaining it to the event before (an
// edited line is found, with its seq). Both are the store's, not the event's: the vocabulary never
// sees them. A chain is tamper-evident, not tamper-proof: whoever can write the log can recompute it.
import { hash as digest } from "node:crypto";
import type { PehEvent } from "./envelope.js";

/** The chain before the first event. */
export const GENESIS = "";

/**
 * 128 bits of SHA-256 (32 hex digits): plenty to tell an edited line from the one written, and a
 * 75-byte seal per line instead of 107.
 */
const HASH_LENGTH = 32;
const HASH_HEAD = ',"hash":"';
/** `,"hash":"<32 hex>"}`: where the seal always stands, last in the line. */
const SEAL_LENGTH = HASH_HEAD.length + HASH_LENGTH + 2;

/** The chain after an event: SHA-256 of the chain before it and the event's sealed content. */
export function chainHash(previous: string, content: string): string {
  return digest("sha256", `${previous}\n${content}`, "hex").slice(0, HASH_LENGTH);
}

/**
 * The lines of one append of `events`, each sealed with the seq the append ends at and the
 * chain from `previous` on; and the chain after the last of them.
 */
export function sealAppend(previous: string, events: readonly PehEvent[]): { lines: string[]; chain: string } {
  const end = events.at(-1)?.seq ?? 0;
  let chain = previous;
  const lines = events.map((event) => {
    const json = JSON.stringify(event);
    const content = `${json.slice(0, -1)},"end":${end}}`;
    chain = chainHash(chain, content);
    return `${content.slice(0, -1)}${HASH_HEAD}${chain}"}`;
  });
  return { lines, chain };
}

/** What a stored line says of itself, checked against the chain before it. */
export type Unsealed =
  | { kind: "sealed"; chain: string; end: number }
  /** Written before events were sealed: read as it always was; the chain still runs through it. */
  | { kind: "plain"; chain: string }
  | { kind: "edited"; why: string };

/**
 * Checks one line (already parsed as `json`) against `previous`, the chain before it. A line
 * whose hash does not match its content is `edited`: its content, or a seal before it, changed.
 */
export function unseal(line: string, json: { hash?: unknown; end?: unknown }, previous: string): Unsealed {
  if (json.hash === undefined) return { kind: "plain", chain: chainHash(previous, line) };
  const at = line.length - SEAL_LENGTH;
  if (at < 1 || !line.startsWith(HASH_HEAD, at) || !line.endsWith('"}') || line.slice(at + HASH_HEAD.length, -2) !== json.hash) {
    return { kind: "edited", why: "its hash is not where peh writes it" };
  }
  const chain = chainHash(previous, `${line.slice(0, at)}}`);
  if (chain !== json.hash) return { kind: "edited", why: "its hash does not match its content and the events before it" };
  if (!Number.isInteger(json.end)) return { kind: "edited", why: "it has no end of its append" };
  return { kind: "sealed", chain, end: json.end as number };
}

/**
 * Whether the line in `bytes[start, end)` carries a seal where peh writes it: a cheap look at its
 * last bytes, so that a checkpoint finds the chain at its seq without decoding every line.
 */
export function looksSealed(bytes: Buffer, start: number, end: number): boolean {
  const at = end - SEAL_LENGTH;
  return at > start && bytes[end - 1] === 0x7d && bytes[end - 2] === 0x22 && bytes.toString("latin1", at, at + HASH_HEAD.length) === HASH_HEAD;
}

/**
 * The chain after a line that was already checked when it was read (a checkpoint's prefix), and
 * the seq its append ends at (undefined for a plain line): a sealed line carries its chain.
 */
export function chainAfter(previous: string, line: string): { chain: string; end: number | undefined } {
  const at = line.length - SEAL_LENGTH;
  if (at < 1 || !line.startsWith(HASH_HEAD, at) || !line.endsWith('"}')) return { chain: chainHash(previous, line), end: undefined };
  const endAt = line.lastIndexOf(',"end":', at);
  return { chain: line.slice(at + HASH_HEAD.length, -2), end: Number(line.slice(endAt + 7, at)) };
}
