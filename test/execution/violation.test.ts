// A sandbox's refusals, as curl, wget, git, ssh, node, npm, Python and the shell print them (each
// message below was printed here, inside bwrap --ro-bind / / --unshare-net): `permission`, not
// `transient`, with the path or host in the evidence and the grant to ask for in the hint.
import { describe, expect, it } from "vitest";
import { classify, type Confinement, type FailureFacts } from "../../runtime/execution/failure/classify.js";

const facts = (output: string): FailureFacts => ({ exit_code: 1, signal: null, timed_out: false, stage: "run", output: `starting\n${output}\n` });
const offline: Confinement = { sandboxed: true, network: false, writable: ["/w/app/src"], cwd: "/w/app" };

/** [what printed it, its output, the host it names (undefined: it names none)] */
const NETWORK: [string, string, string | undefined][] = [
  ["curl, a name", "curl: (6) Could not resolve host: example.com", "example.com"],
  ["curl, an address", "curl: (7) Failed to connect to 93.184.216.34 port 80 after 0 ms: Couldn't connect to server", "93.184.216.34"],
  ["git over https", "fatal: unable to access 'https://github.com/x/y.git/': Could not resolve host: github.com", "github.com"],
  ["git over ssh", "ssh: Could not resolve hostname github.com: Temporary failure in name resolution\nfatal: Could not read from remote repository.", "github.com"],
  ["wget, a name", "Resolving example.com (example.com)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address ‘example.com’", "example.com"],
  ["wget, an address", "--2026-12-02 03:06:59--  http://93.184.216.34/\nConnecting to 93.184.216.34:80... failed: Network is unreachable.", "93.184.216.34"],
  ["node's http", "getaddrinfo EAI_AGAIN example.com", "example.com"],
  [
    "node's fetch",
    "TypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13 {\n  [cause]: Error: getaddrinfo EAI_AGAIN example.com\n      at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26) {\n    errno: -3001,\n    code: 'EAI_AGAIN',\n  }\n}",
    "example.com",
  ],
  ["node's net", "Error: connect ENETUNREACH 93.184.216.34:80 - Local (0.0.0.0:0)", "93.184.216.34"],
  ["npm", "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org", "registry.npmjs.org"],
  ["Python's urllib", "    raise URLError(err)\nurllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>", undefined],
  ["Python's socket", "OSError: [Errno 101] Network is unreachable", undefined],
  [
    "Python's requests",
    `requests.exceptions.ConnectionError: HTTPSConnectionPool(host='example.com', port=443): Max retries exceeded with url: / (Caused by NameResolutionError("HTTPSConnection(host='example.com', port=443): Failed to resolve 'example.com' ([Errno -3] Temporary failure in name resolution)"))`,
    "example.com",
  ],
];

describe("classify › a network error in an attempt that had no network", () => {
  it.each(NETWORK)("%s: permission, naming the host, with the hint network: true", (_, output, host) => {
    const found = classify(facts(output), [], offline);
    expect(found.class).toBe("permission");
    expect(found.rule).toBe("network refused by the sandbox");
    if (host) expect(found.evidence).toContain(host);
    if (host) expect(found.hint).toContain(`so ${host} could not be reached`);
    expect(found.hint).toContain("ask for it in the task: network: true");
  });

  it.each(NETWORK)("%s: transient as before when the attempt was not sandboxed, or had the network", (_, output) => {
    expect(classify(facts(output)).class).toBe("transient");
    expect(classify(facts(output), [], { ...offline, network: true }).class).toBe("transient");
    expect(classify(facts(output)).hint).toBeUndefined();
  });

  it.each([
    ["curl", "curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server"],
    ["node", "Error: connect ECONNREFUSED 127.0.0.1:9"],
    ["Python", "ConnectionRefusedError: [Errno 111] Connection refused"],
  ])("leaves a refused connection on loopback (or to no named host) transient: the task's own server may not be up yet (%s)", (_, output) => {
    expect(classify(facts(output), [], offline)).toMatchObject({ class: "transient", rule: "network or rate limit" });
  });
});

/** [what printed it, its output, the path it names] */
const WRITES: [string, string, string][] = [
  ["touch", "touch: cannot touch '/work/peh-x': Read-only file system", "/work/peh-x"],
  ["mkdir", "mkdir: cannot create directory ‘/work/peh-d’: Read-only file system", "/work/peh-d"],
  ["cp", "cp: cannot create regular file '/usr/peh': Read-only file system", "/usr/peh"],
  ["rm", "rm: cannot remove '/w/app/README.md': Read-only file system", "/w/app/README.md"],
  ["ln", "ln: failed to create symbolic link '/work/peh-l': Read-only file system", "/work/peh-l"],
  ["sed -i", "sed: couldn't open temporary file /etc/sedv6Q0eW: Read-only file system", "/etc/sedv6Q0eW"],
  ["tee", "tee: /etc/peh: Read-only file system", "/etc/peh"],
  ["bash's redirection", "bash: /etc/peh-x: Read-only file system", "/etc/peh-x"],
  ["dash's redirection", "/bin/sh: 1: cannot create /etc/peh-x: Read-only file system", "/etc/peh-x"],
  ["git", "fatal: Unable to create '/w/app/.git/index.lock': Read-only file system", "/w/app/.git/index.lock"],
  ["Python", "OSError: [Errno 30] Read-only file system: '/work/peh-x'", "/work/peh-x"],
  ["node", "Error: EROFS: read-only file system, open '/work/peh-x'", "/work/peh-x"],
  ["npm", "npm error code EROFS\nnpm error rofs EROFS: read-only file system, mkdir '/usr/lib/node_modules/left-pad'", "/usr/lib/node_modules/left-pad"],
  ["mkdir as a user", "mkdir: cannot create directory '/srv/cache': Permission denied", "/srv/cache"],
  ["node as a user", "Error: EACCES: permission denied, mkdir '/srv/cache'", "/srv/cache"],
];

describe("classify › a write the sandbox refused", () => {
  it.each(WRITES)("%s: permission, naming the path, with the hint writable: [path] (or, in .git, why none helps)", (_, output, path) => {
    const found = classify(facts(output), [], offline);
    expect(found).toMatchObject({ class: "permission", rule: "write refused by the sandbox" });
    expect(found.evidence).toContain(path);
    // No grant opens git's own directory: the hint says so instead of asking for one.
    if (path.includes("/.git/")) expect(found.hint).toMatch(/in the repository's \.git, which the sandbox keeps read-only: .*peh makes the task's commit itself/);
    else expect(found.hint).toContain(`ask for it in the task: writable: [${JSON.stringify(path)}]`);
  });

  it("classifies a read-only file system as before when the attempt was not sandboxed", () => {
    expect(classify(facts("touch: cannot touch '/work/peh-x': Read-only file system"))).toMatchObject({ class: "logic_error", rule: "exit 1" });
    expect(classify(facts("mkdir: cannot create directory '/srv/cache': Permission denied"))).toEqual({
      class: "permission", rule: "permission denied", evidence: "mkdir: cannot create directory '/srv/cache': Permission denied",
    });
  });

  it("names a relative path where it really is, resolved from the working directory", () => {
    const found = classify(facts("touch: cannot touch 'docs/x.md': Read-only file system"), [], offline);
    expect(found.evidence).toBe("/w/app/docs/x.md: touch: cannot touch 'docs/x.md': Read-only file system");
    expect(found.hint).toContain('writable: ["/w/app/docs/x.md"]');
  });

  it("is no violation inside the scope, nor a permission that is no write (a script that is not executable, a key refused)", () => {
    for (const output of [
      "mkdir: cannot create directory 'src/gen': Permission denied",
      "/bin/sh: 1: ./build.sh: Permission denied",
      "git@github.com: Permission denied (publickey).",
    ]) {
      expect(classify(facts(output), [], offline)).toMatchObject({ class: "permission", rule: "permission denied" });
      expect(classify(facts(output), [], offline).hint).toBeUndefined();
    }
  });

  it("lets a plan's own rule win, as for every built-in rule", () => {
    const found = classify(facts("curl: (6) Could not resolve host: example.com"), [{ match: "resolve host", class: "unrecoverable" }], offline);
    expect(found).toMatchObject({ class: "unrecoverable", rule: "plan rule /resolve host/" });
  });
});
