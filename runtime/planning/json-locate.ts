// Pure. The line of a field in a JSON plan, read off the text without building a document: a
// 500-task plan's YAML document took ~160 ms to build for the one warning every large plan gets
// (TASK_COUNT, at `tasks`). Lines as the YAML document gives them (1-based, where the value starts).

/**
 * The line where the value at `path` starts, else that of the closest parent that exists (a
 * missing field points at its owner), as the YAML document's `locate` answers it. `text` is JSON
 * that JSON.parse accepted, without duplicate keys (a valid JSON plan).
 */
export function locateInJson(text: string, path: readonly (string | number)[]): number | undefined {
  let at = skipSpace(text, 0);
  if (at >= text.length) return undefined;
  let found = at;
  for (const part of path) {
    const next = typeof part === "number" ? elementAt(text, at, part) : memberAt(text, at, part);
    if (next === undefined) break;
    found = at = next;
  }
  return lineOf(text, found);
}

/** Where the value of member `key` of the object at `at` starts, if it has one. */
function memberAt(text: string, at: number, key: string): number | undefined {
  if (text[at] !== "{") return undefined;
  let i = skipSpace(text, at + 1);
  while (text[i] === '"') {
    const end = stringEnd(text, i);
    const raw = text.slice(i + 1, end - 1);
    const name = raw.includes("\\") ? (JSON.parse(text.slice(i, end)) as string) : raw;
    const value = skipSpace(text, skipSpace(text, end) + 1); // past the colon
    if (name === key) return value;
    i = skipSpace(text, valueEnd(text, value));
    if (text[i] !== ",") return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** Where element `index` of the array at `at` starts, if it has one. */
function elementAt(text: string, at: number, index: number): number | undefined {
  if (text[at] !== "[") return undefined;
  let i = skipSpace(text, at + 1);
  if (text[i] === "]") return undefined;
  for (let n = 0; n < index; n++) {
    i = skipSpace(text, valueEnd(text, i));
    if (text[i] !== ",") return undefined;
    i = skipSpace(text, i + 1);
  }
  return i;
}

/** Just past the value that starts at `at` (an object, an array, a string, or a bare word or number). */
function valueEnd(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return stringEnd(text, at);
  if (first !== "{" && first !== "[") {
    let i = at;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i) - 1;
    else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Just past the string whose opening quote is at `at`. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  return text.length;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  return i;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
