// Secrets never reach a log: values of environment variables whose names look secret, and
// common token shapes, are replaced before anything is written.
const SECRET_NAME = /(TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;
const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWT
  /\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{10,}\b/g, // Stripe-like
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export type Redactor = (text: string) => string;

/** A redactor for this environment: secret-looking variables (values of 6+ characters) and token shapes. */
export function redactorFor(env: NodeJS.ProcessEnv = process.env): Redactor {
  const values = Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === "string" && value.length >= 6)
    .map(([name, value]) => [name, value!] as const)
    .sort((a, b) => b[1].length - a[1].length);
  return (text) => {
    let out = text;
    for (const [name, value] of values) out = out.split(value).join(`[redacted:${name}]`);
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, "[redacted]");
    return out;
  };
}

/** Output held back until this long when no line ends in it (a bound on memory, not a rule). */
const LONGEST_HELD = 1 << 20;
const PRIVATE_KEY_OPEN = "-----BEGIN ";

/**
 * Redaction of output that comes in chunks. A secret may be split between two chunks, so text
 * is redacted only up to its last line break, the rest held for the next chunk (or `end`). A
 * private key block is held whole, from its BEGIN line to its END line.
 */
export function redactingStream(redact: Redactor): { write(text: string): string; end(): string } {
  let held = "";
  return {
    write(text) {
      held += text;
      let cut = held.lastIndexOf("\n") + 1;
      const open = held.lastIndexOf(PRIVATE_KEY_OPEN, cut);
      const close = open < 0 ? -1 : held.indexOf("-----END ", open);
      if (open >= 0 && (close < 0 || held.indexOf("\n", close) < 0)) cut = Math.min(cut, open);
      if (cut === 0 && held.length < LONGEST_HELD) return "";
      if (cut === 0) cut = held.length;
      const ready = held.slice(0, cut);
      held = held.slice(cut);
      return redact(ready);
    },
    end() {
      const rest = held;
      held = "";
      return rest === "" ? "" : redact(rest);
    },
  };
}
