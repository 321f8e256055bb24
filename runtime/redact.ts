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
