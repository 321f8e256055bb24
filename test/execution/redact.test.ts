// Redaction: which variable names hold secrets (by their words, not their letters), what is
// replaced in output (values of those variables, whole or over two lines; credentials in URLs and
// headers; assignments; token shapes), and what is left alone.
import { describe, expect, it } from "vitest";
import { isSecretName, redactingStream, redactorFor } from "../../runtime/execution/process/redact.js";

describe("redaction › secret variable names", () => {
  it.each([
    "PGPASS", "PGPASSWORD", "DB_PASSWORD", "SMTP_PASS", "MYSQL_PWD_PASSWD", "GITHUB_TOKEN", "NPM_TOKEN", "NODE_AUTH_TOKEN",
    "API_KEY", "OPENAI_API_KEY", "STRIPE_KEY", "APIKEY", "SECRET_KEY_BASE", "CLIENT_SECRET", "STRIPE_SECRET",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS_JSON", "GOOGLE_CREDENTIALS", "DOCKER_CREDS",
    "BASIC_AUTH", "npm_config__auth", "GH_PAT", "githubToken", "dbPassword", "DEPLOY_TOKEN_PROD", "PASSWORD2", "SIGNING_KEY",
  ])("%s holds a secret", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    // Secret words inside other words.
    "AUTHOR", "GIT_AUTHOR_NAME", "KEYBOARD_LAYOUT", "TOKENIZERS_PARALLELISM", "MONKEY_PATCH", "PROXY_BYPASS", "COMPASS_HOME",
    // Names about a secret, not of one: where it is, what it is like, how it is used.
    "PASSWORD_POLICY", "SSH_AUTH_SOCK", "TOKEN_URL", "KEY_FILE", "DB_PASSWORD_FILE", "PGPASSFILE", "AUTH_DOMAIN", "SECRET_NAME",
    "TOKEN_TTL", "AWS_ACCESS_KEY_ID", "GPG_KEY_ID", "SSH_ASKPASS", "GIT_ASKPASS",
    // Keys to nothing.
    "PUBLIC_KEY", "CACHE_KEY", "PRIMARY_KEY", "SORT_KEY",
    // Ordinary names.
    "PATH", "HOME", "PWD", "OLDPWD", "LANG", "PEH_TRUST_ROOTS",
  ])("%s does not", (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe("redaction › what is replaced", () => {
  const redact = redactorFor({ PGPASSWORD: "pg-s3cret-value", PASSWORD_POLICY: "strict", AUTHOR: "ana-lopez", SSH_AUTH_SOCK: "/tmp/ssh-agent.sock" });

  it.each([
    ["a database URL", "connecting to postgres://app:secret@db/app", "connecting to postgres://app:[redacted]@db/app"],
    ["a URL with an empty user", "redis://:hunter2@cache:6379/0", "redis://:[redacted]@cache:6379/0"],
    ["an HTTPS URL", "git clone https://ci:glpat-abc@gitlab.example.com/x.git", "git clone https://ci:[redacted]@gitlab.example.com/x.git"],
    ["an OpenAI project key", "key sk-proj-AbCdEf0123456789_ghIJklMNop-qrst", "key [redacted]"],
    ["an OpenAI key", "OPENAI=sk-AbCdEfGhIjKlMnOpQrStUvWx0123", "OPENAI=[redacted]"],
    ["an Anthropic key", "using sk-ant-api03-AbCdEf0123456789AbCdEf0123", "using [redacted]"],
    ["a GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", "[redacted]"],
    ["a GitHub token", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "[redacted]"],
    ["an npm token", "//registry.npmjs.org/:_authToken=npm_0123456789abcdefghijABCDEFGHIJ0123", "//registry.npmjs.org/:_authToken=[redacted]"],
    ["a Slack token", "xoxb-1234567890-abcdefghij", "[redacted]"],
    ["a Google API key", "maps AIzaSyA0123456789abcdefghijklmnopqrstuv", "maps [redacted]"],
    ["an AWS access key id", "AKIAIOSFODNN7EXAMPLE", "[redacted]"],
    ["a bearer token in a header", "> Authorization: Bearer abc.def-ghi", "> Authorization: Bearer [redacted]"],
    ["a basic header, lower case", 'curl -H "authorization: Basic dXNlcjpwYXNz"', 'curl -H "authorization: Basic [redacted]"'],
    ["a bearer token alone", "sending Bearer 0123456789abcdef0123", "sending [redacted]"],
    ["an assignment", "+ export DB_PASSWORD=hunter2 API_KEY='k-123'", "+ export DB_PASSWORD=[redacted] API_KEY='[redacted]'"],
    ["an option", "migrate --db-password=hunter2 --verbose", "migrate --db-password=[redacted] --verbose"],
    ["a JSON field", '{"client_secret": "abc123", "user": "ana"}', '{"client_secret": "[redacted]", "user": "ana"}'],
    ["a query parameter", "GET /cb?access_token=abc123&state=x", "GET /cb?access_token=[redacted]&state=x"],
    ["a secret variable's value", "PGPASSWORD is pg-s3cret-value", "PGPASSWORD is [redacted:PGPASSWORD]"],
  ])("%s", (_, text, redacted) => {
    expect(redact(text)).toBe(redacted);
  });

  it.each([
    ["a value that names a policy", "PASSWORD_POLICY=strict; mode strict"],
    ["an author", "AUTHOR=ana-lopez wrote ana-lopez's notes"],
    ["a socket path", "agent at /tmp/ssh-agent.sock"],
    ["a URL with a port and no credentials", "http://localhost:8080/health and ssh://git@github.com:22/x"],
    ["an @ in a path", "https://example.com/users/@ana:profile"],
    ["a word that ends like a key", "task-0123456789abcdefghijklmn and disk-0123456789abcdefghijkl"],
    ["harmless assignments", "TOKENIZERS_PARALLELISM=false KEYBOARD_LAYOUT=us a==b"],
  ])("leaves %s alone", (_, text) => {
    expect(redact(text)).toBe(text);
  });
});

describe("redaction › a secret over two lines", () => {
  const secret = "0123456789abcdef";
  const redact = redactorFor({ DEPLOY_TOKEN: secret });

  it("finds a secret variable's value split by a line break at any point", () => {
    for (let cut = 1; cut < secret.length; cut++) {
      const text = `token: ${secret.slice(0, cut)}\n${secret.slice(cut)} (end)\n`;
      expect(redact(text), `cut at ${cut}`).toBe("token: [redacted:DEPLOY_TOKEN]\n (end)\n");
      expect(redact(text.replaceAll("\n", "\r\n")), `cut at ${cut}, CRLF`).toBe("token: [redacted:DEPLOY_TOKEN]\r\n (end)\r\n");
    }
  });

  it("finds it wrapped at a column, over several lines, whole or a line at a time", () => {
    const folded = `${secret.match(/.{1,5}/g)!.join("\n")}\n`;
    expect(redact(folded)).toBe("[redacted:DEPLOY_TOKEN]\n\n\n\n");
    const stream = redactingStream(redact);
    const lines = ["start\n", ...folded.split(/(?<=\n)/), "end\n"];
    expect(lines.map((line) => stream.write(line)).join("") + stream.end()).toBe("start\n[redacted:DEPLOY_TOKEN]\n\n\n\nend\n");
  });

  it("finds it in a stream, whatever the chunks", () => {
    const text = `before\nkey ${secret.slice(0, 7)}\n${secret.slice(7)}\nafter\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      const stream = redactingStream(redact);
      const out = stream.write(text.slice(0, cut)) + stream.write(text.slice(cut)) + stream.end();
      expect(out, `chunks cut at ${cut}`).toBe("before\nkey [redacted:DEPLOY_TOKEN]\n\nafter\n");
    }
  });

  it("releases a line only once the lines after it that a secret could span have been seen, and all of it at the end", () => {
    const stream = redactingStream(redact);
    expect(stream.write("the first line of output\n")).toBe("");
    expect(stream.write("the second line of output\nthe")).toBe("the first line of output\n");
    expect(stream.write(" third\n4\n")).toBe("");
    expect(stream.write("and the last line of output\n")).toBe("the second line of output\nthe third\n4\n");
    expect(stream.end()).toBe("and the last line of output\n");
  });

  it("settles the whole lines it holds once no secret can go on past them, and only those", () => {
    const stream = redactingStream(redact);
    expect(stream.write("compiled 3 files\n")).toBe("");
    // A line printed before a long wait goes to the log without the next line.
    expect(stream.settle()).toBe("compiled 3 files\n");
    expect(stream.settle()).toBe("");
    // A line that is not whole yet stays.
    expect(stream.write("waiting for")).toBe("");
    expect(stream.settle()).toBe("");
    expect(stream.write(" the server\n")).toBe("");
    expect(stream.settle()).toBe("waiting for the server\n");
    expect(stream.end()).toBe("");
  });

  it("does not settle a line whose end may begin a secret wrapped into the next", () => {
    for (let cut = 1; cut < secret.length; cut++) {
      const stream = redactingStream(redact);
      expect(stream.write(`key ${secret.slice(0, cut)}\n`)).toBe("");
      expect(stream.settle(), `cut at ${cut}`).toBe("");
      const out = stream.write(`${secret.slice(cut)}\nafter\n`) + stream.settle() + stream.end();
      expect(out, `cut at ${cut}`).toBe("key [redacted:DEPLOY_TOKEN]\n\nafter\n");
    }
  });

  it("does not settle an open private key block", () => {
    const stream = redactingStream(redactorFor({}));
    expect(stream.write("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n")).toBe("");
    expect(stream.settle()).toBe("");
    expect(stream.write("-----END RSA PRIVATE KEY-----\n") + stream.settle() + stream.end()).toBe("[redacted]\n");
  });
});
