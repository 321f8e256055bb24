// Which variable names hold a secret, judged by their words (segments), not by substrings:
// `PGPASSWORD`, `GITHUB_TOKEN`, `API_KEY`, `AWS_SECRET_ACCESS_KEY` do; `AUTHOR`, `KEYBOARD_LAYOUT`,
// `TOKENIZERS_PARALLELISM` do not, and neither do names about a secret rather than of one
// (`PASSWORD_POLICY`, `SSH_AUTH_SOCK`, `TOKEN_URL`, `KEY_FILE`).

/** Words that name a secret, as a whole segment: `DB_PASS`, `API_KEY`, `BASIC_AUTH`. */
const SECRET_WORDS = new Set([
  "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PASSPHRASE",
  "CREDENTIAL", "CREDENTIALS", "CREDS", "KEY", "KEYS", "APIKEY", "AUTH", "PAT",
]);

/** The same words at the end of a segment that runs words together: `PGPASS`, `NPMTOKEN`, `CLIENTSECRET`. */
const SECRET_ENDING = /(?:TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|PASS|CREDENTIALS?|(?:API|SECRET|PRIVATE|ACCESS|MASTER|SIGNING|ENCRYPTION)KEY)S?$/;

/** Words that end in PASS without being one: a program (`SSH_ASKPASS`) or another word. */
const NOT_PASS = /(?:ASK|BY|COM|SUR|TRES|OVER|UNDER)PASS$/;

/**
 * Words after a secret word that make the name about the secret, not the secret itself: where it
 * is (`_FILE`, `_PATH`, `_URL`, `_SOCK`), what it is like (`_POLICY`, `_TYPE`, `_LENGTH`), or
 * how it is used (`_HEADER`, `_COMMAND`).
 */
const ABOUT = new Set([
  "POLICY", "FILE", "FILES", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "SOCK", "SOCKET",
  "NAME", "ID", "TYPE", "KIND", "MODE", "METHOD", "FORMAT", "LENGTH", "LEN", "SIZE", "MIN", "MAX", "COUNT",
  "LIMIT", "TTL", "EXPIRY", "EXPIRES", "TIMEOUT", "HEADER", "FIELD", "PARAM", "PREFIX", "VAR", "ENV",
  "ENABLED", "DISABLED", "REQUIRED", "COMMAND", "CMD", "HELPER", "PROVIDER", "DOMAIN", "SERVER", "SERVICE",
  "ALGORITHM", "ALG", "VERSION", "LOCATION", "STORE", "REGION", "ISSUER", "AUDIENCE", "SCOPE", "SCOPES",
]);

/** Keys that are not keys to anything: `PRIMARY_KEY`, `CACHE_KEY`, `PUBLIC_KEY`. */
const NOT_A_SECRET_KEY = new Set(["PRIMARY", "SORT", "PARTITION", "CACHE", "FOREIGN", "HOT", "PUBLIC", "ROUTING", "SHARD", "LOOKUP", "IDEMPOTENCY"]);

function segmentsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Za-z])([0-9])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

function secretWord(segments: readonly string[], i: number): boolean {
  const word = segments[i]!;
  if (word === "KEY" || word === "KEYS") return !NOT_A_SECRET_KEY.has(segments[i - 1] ?? "");
  if (SECRET_WORDS.has(word)) return true;
  return SECRET_ENDING.test(word) && !NOT_PASS.test(word);
}

const judged = new Map<string, boolean>();

/** Whether a variable named `name` holds a secret: a secret word with no word after it that makes it about one. */
export function isSecretName(name: string): boolean {
  let known = judged.get(name);
  if (known === undefined) {
    const segments = segmentsOf(name);
    let secret = false;
    for (let i = 0; i < segments.length; i++) {
      if (ABOUT.has(segments[i]!)) secret = false;
      else if (secretWord(segments, i)) secret = true;
    }
    known = secret;
    // Names come from the environment and from output: bounded, so a flood of names cannot grow it.
    if (judged.size < 10_000) judged.set(name, known);
  }
  return known;
}
