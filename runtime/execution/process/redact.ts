// Secrets never reach a log: values of environment variables whose names say they are secret,
// values assigned to such names in the output, credentials in URLs and Authorization headers, and
// common token shapes are replaced before anything is written. It runs on every chunk of every
// process, so each pass is one scan of the text, with a cheap test first.
import { isSecretName } from "./secret-names.js";

export { isSecretName } from "./secret-names.js";

/**
 * Token shapes and Authorization headers, one pattern scanned once. Every alternative starts at a
 * word boundary, which lets the scan skip fast; group 1 is what stays of a header.
 */
const TOKENS = new RegExp(
  String.raw`\b(?:` +
    [
      String.raw`((?:[Pp]roxy-)?[Aa]uthorization["']?\s*[:=]\s*["']?(?:(?:[Bb]earer|[Bb]asic|[Tt]oken|[Dd]igest|[Bb]ot)\s+)?)[^\s"',;]+`,
      String.raw`[Bb]earer\s+[A-Za-z0-9._~+/-]{16,}=*`,
      String.raw`gh[pousr]_[A-Za-z0-9]{20,}`, // GitHub
      String.raw`github_pat_[A-Za-z0-9_]{20,}`, // GitHub, fine-grained
      String.raw`glpat-[A-Za-z0-9_-]{20,}`, // GitLab
      String.raw`npm_[A-Za-z0-9]{30,}`, // npm
      String.raw`(?:AKIA|ASIA)[0-9A-Z]{16}\b`, // AWS access key id
      String.raw`x(?:ox[abposr]|app)-[A-Za-z0-9-]{10,}`, // Slack
      String.raw`https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+`, // Slack webhook
      String.raw`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, // JWT
      String.raw`(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`, // Stripe-like
      String.raw`whsec_[A-Za-z0-9]{20,}`, // Stripe webhook secret
      String.raw`sk-[A-Za-z0-9_-]{20,}`, // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-)
      String.raw`AIza[0-9A-Za-z_-]{35}`, // Google API key
      String.raw`hf_[A-Za-z0-9]{30,}`, // Hugging Face
      String.raw`SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`, // SendGrid
      String.raw`dop_v1_[a-f0-9]{64}`, // DigitalOcean
      String.raw`pypi-[A-Za-z0-9_-]{50,}`, // PyPI
      String.raw`dckr_pat_[A-Za-z0-9_-]{20,}`, // Docker Hub
    ].join("|") +
    ")",
  "g",
);

/** `scheme://user:PASSWORD@host`: group 1 is what stays. */
const USERINFO = /(:\/\/[^\s:/@?#"'<>]*:)[^\s@/?#"'<>]+(?=@)/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

const REDACTED = "[redacted]";
const kept = (_match: string, prefix: string | undefined) => (prefix ?? "") + REDACTED;

// Patterns that open with a literal (`://`, `-----BEGIN `) are scanned faster than a string search.
function redactShapes(text: string): string {
  return text.replace(TOKENS, kept).replace(USERINFO, kept).replace(PRIVATE_KEY, REDACTED);
}

const isNameChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNameStart = (c: number) => isNameChar(c) && !(c >= 48 && c <= 57);

/** Space, quotes, `&`, `;` and `,`. */
const ENDS_A_VALUE = new Set([...' \t\r\n\f\v"\'&;,'].map((c) => c.charCodeAt(0)));

/** Where the value that starts at `at` ends: a quoted string whole, else up to a space or a separator. */
function valueEnd(text: string, at: number): number {
  const quote = text[at];
  if (quote === '"' || quote === "'") {
    for (let i = at + 1; i < text.length; i++) {
      if (text[i] === "\\" && quote === '"') i++;
      else if (text[i] === quote) return i + 1;
      else if (text[i] === "\n") return at;
    }
    return at;
  }
  let i = at;
  while (i < text.length && !ENDS_A_VALUE.has(text.charCodeAt(i))) i++;
  return i;
}

/** `"name": "value"`, a JSON field; its value is group 2. */
const JSON_FIELD = /"([A-Za-z_][A-Za-z0-9_-]*)"\s*:\s*("(?:[^"\\\n]|\\.)*")/g;

/**
 * Values assigned to a secret name: `NAME=value` (also `--name=value`, `?token=value`), found
 * from each `=` rather than by a pattern tried at every word, and `"name": "value"`.
 */
function redactAssignments(text: string): string {
  let out = "";
  let from = 0;
  for (let at = text.indexOf("="); at >= 0; at = text.indexOf("=", at + 1)) {
    let start = at;
    while (start > from && isNameChar(text.charCodeAt(start - 1))) start--;
    if (start === at || !isNameStart(text.charCodeAt(start)) || text.charCodeAt(at + 1) === 61 || !isSecretName(text.slice(start, at))) continue;
    const value = at + 1;
    const end = valueEnd(text, value);
    const quote = text[value] === '"' || text[value] === "'" ? text[value]! : "";
    if (end === value || text.startsWith("[redacted", value + quote.length)) continue;
    out += text.slice(from, value) + quote + REDACTED + quote;
    from = end;
    at = end - 1;
  }
  if (from > 0) text = out + text.slice(from);
  return text.replace(JSON_FIELD, (field: string, name: string, value: string) =>
    isSecretName(name) && !value.startsWith('"[redacted') ? `${field.slice(0, field.length - value.length)}"${REDACTED}"` : field,
  );
}

/**
 * Occurrences of `value` split over line breaks (`abc\ndef` for `abcdef`: a value wrapped at a
 * column, or broken by a newline), each replaced by the marker, the line breaks kept. `joined` is
 * `text` without its line breaks, `at` maps its indexes back to `text`.
 */
function redactSplit(text: string, { joined, at }: { joined: string; at: Int32Array }, value: string, marker: string): string {
  let out = "";
  let from = 0;
  for (let found = joined.indexOf(value); found >= 0; found = joined.indexOf(value, found + value.length)) {
    const start = at[found]!;
    const end = at[found + value.length - 1]! + 1;
    if (start < from) continue;
    const inside = text.slice(start, end);
    out += text.slice(from, start) + marker + inside.replace(/[^\r\n]+/g, "");
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** `text` without its line breaks (LF and CRLF), as withoutBreaks makes it; a string search, far cheaper than a pattern's. */
const flat = (text: string) => (text.includes("\r") ? text.replaceAll("\r\n", "\n") : text).replaceAll("\n", "");

/** `text` without its line breaks, and where each of its characters was. */
function withoutBreaks(text: string): { joined: string; at: Int32Array } {
  const at = new Int32Array(text.length);
  let joined = "";
  let n = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) {
      joined += text.slice(run, i);
      run = i + 1;
      continue;
    }
    at[n++] = i;
  }
  joined += text.slice(run);
  return { joined, at };
}

/**
 * Replaces secrets in a text. `longest`: the longest value it looks for, split or whole (a stream
 * holds back that much); `mayContinue(text)`: whether a value it looks for could still be
 * completed by what comes after `text` (its end, line breaks left out, begins one).
 */
export type Redactor = ((text: string) => string) & { longest?: number; mayContinue?: (text: string) => boolean };

/**
 * A redactor for this environment: the values (6 characters or more) of variables whose names
 * say secret (see secret-names.ts), whole or split over line breaks, then the shapes and the
 * assignments. Not found: a value split with other text between its pieces (a prefix, an
 * indentation), a value printed transformed (encoded, quoted with escapes), shorter values, and
 * a token of a known shape that is split over lines.
 */
export function redactorFor(env: NodeJS.ProcessEnv = process.env): Redactor {
  const values = Object.entries(env)
    .filter(([name, value]) => typeof value === "string" && value.length >= 6 && isSecretName(name))
    .map(([name, value]) => [value!, `[redacted:${name}]`] as const)
    .sort((a, b) => b[0].length - a[0].length);
  // Every pair of neighbouring characters of every value: a value split by a line break has one
  // of them on each side of it, which rules out almost every break of the output at once.
  const pairs = new Set<number>();
  for (const [value] of values) for (let i = 1; i < value.length; i++) pairs.add(value.charCodeAt(i - 1) * 0x10000 + value.charCodeAt(i));
  const maySplit = (text: string): boolean => {
    for (let at = text.indexOf("\n"); at > 0; at = text.indexOf("\n", at + 1)) {
      const before = text.charCodeAt(text.charCodeAt(at - 1) === 13 ? at - 2 : at - 1);
      if (pairs.has(before * 0x10000 + text.charCodeAt(at + 1))) return true;
    }
    return false;
  };
  const redact: Redactor = (text) => {
    let out = text;
    for (const [value, marker] of values) out = out.split(value).join(marker);
    if (values.length > 0 && maySplit(out)) {
      let joined = flat(out);
      for (const [value, marker] of values) {
        if (!joined.includes(value)) continue;
        out = redactSplit(out, withoutBreaks(out), value, marker);
        joined = flat(out);
      }
    }
    return redactAssignments(redactShapes(out));
  };
  redact.longest = values[0]?.[0].length ?? 0;
  redact.mayContinue = (text) => {
    if (values.length === 0) return false;
    const end = flat(text.slice(-3 * redact.longest!)); // a prefix wrapped one character per line, with CRLF
    for (const [value] of values) {
      for (let k = Math.min(value.length - 1, end.length); k > 0; k--) if (end.endsWith(value.slice(0, k))) return true;
    }
    return false;
  };
  return redact;
}

/** Output held back until this long when no line ends in it (a bound on memory, not a rule). */
const LONGEST_HELD = 1 << 20;
const PRIVATE_KEY_OPEN = "-----BEGIN ";

/**
 * Redaction of output that comes in chunks. A secret may be split between two chunks, or over
 * lines, so text is redacted a whole line at a time, and the last lines of what is redacted (the
 * last one, or as many as hold the longest secret value) are held with the rest for the next
 * chunk (or `end`): a line is released only once the lines after it have been seen beside it.
 * A private key block is held whole, from its BEGIN line to its END line. `settle` releases the
 * whole lines held when no secret value can still be completed past them (a process that prints
 * a line and then waits has it in its log, and so live, without waiting for its next line).
 */
export function redactingStream(redact: Redactor): { write(text: string): string; settle(): string; end(): string } {
  let held = "";
  const span = (redact.longest ?? 0) - 1;
  return {
    write(text) {
      held += text;
      let cut = held.lastIndexOf("\n") + 1;
      const open = held.lastIndexOf(PRIVATE_KEY_OPEN, cut);
      const close = open < 0 ? -1 : held.indexOf("-----END ", open);
      if (open >= 0 && (close < 0 || held.indexOf("\n", close) < 0)) cut = Math.min(cut, open);
      if (cut === 0 && held.length < LONGEST_HELD) return "";
      if (cut === 0) {
        // A line this long is released as it is: memory is bounded, not the length of a line.
        const all = redact(held);
        held = "";
        return all;
      }
      const done = redact(held.slice(0, cut));
      // Held: the last line, and as many lines before it as a value wrapped over short lines needs.
      const body = done.endsWith("\n") ? done.length - 1 : done.length;
      let keep = done.lastIndexOf("\n", body - 1) + 1;
      for (let chars = body - keep; keep > 0 && chars < span; ) {
        const line = keep >= 2 ? done.lastIndexOf("\n", keep - 2) + 1 : 0;
        chars += keep - 1 - line;
        keep = line;
      }
      // Redacting it again with the next line changes nothing already redacted.
      held = done.slice(keep) + held.slice(cut);
      return done.slice(0, keep);
    },
    settle() {
      // Whole lines only, and no private key block left open in them.
      const cut = held.lastIndexOf("\n") + 1;
      if (cut === 0) return "";
      const open = held.lastIndexOf(PRIVATE_KEY_OPEN, cut);
      if (open >= 0 && held.indexOf("-----END ", open) < 0) return "";
      if (redact.mayContinue ? redact.mayContinue(held) : (redact.longest ?? 0) > 0) return "";
      const lines = redact(held.slice(0, cut));
      held = held.slice(cut);
      return lines;
    },
    end() {
      const rest = held;
      held = "";
      return rest === "" ? "" : redact(rest);
    },
  };
}
