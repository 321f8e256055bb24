#!/usr/bin/env node
// A stand-in for a coding agent, for peh's tests and demo: it reads its prompt on stdin and
// follows the first line, a list of steps separated by ";":
//   append FILE TEXT     add a line to FILE (made if missing)
//   set FILE N TEXT      replace line N (1-based) of FILE, re-applied to whatever FILE holds now
//   touch PATH           make an empty file (an absolute path: a signal to another agent)
//   wait PATH            wait until PATH exists, then go on; after 50 s in vain it fails (exit 3)
//                        instead of going on unsignalled (an orphan never lingers longer)
//   commit MESSAGE       commit everything itself, as some agents do (peh squashes it)
//   fail-once PATH       fail (exit 1) unless PATH exists; make it first, so the next attempt passes
//   fail                 exit 1
// In a step, {attempt} is the attempt's number (PEH_ATTEMPT): `touch /tmp/s/started-{attempt}`.
// Usage: peh run --agent-command "node examples/fake-agent.mjs" …
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";

const prompt = readFileSync(0, "utf8");
const steps = (prompt.split("\n")[0] ?? "")
  .split(";")
  .map((step) => step.trim().replaceAll("{attempt}", process.env.PEH_ATTEMPT ?? "0"))
  .filter(Boolean);

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

for (const step of steps) {
  const [verb, ...rest] = step.split(/\s+/);
  if (verb === "append") appendFileSync(rest[0], `${rest.slice(1).join(" ")}\n`);
  else if (verb === "set") {
    const [file, n, ...text] = rest;
    const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
    while (lines.length < Number(n)) lines.push("");
    lines[Number(n) - 1] = text.join(" ");
    writeFileSync(file, lines.join("\n"));
  } else if (verb === "touch") writeFileSync(rest[0], "");
  else if (verb === "wait") {
    // By the clock, not by a count of naps: a loaded machine stretches every nap.
    const until = Date.now() + 50_000;
    while (!existsSync(rest[0])) {
      if (Date.now() > until) {
        console.error(`fake agent: waited 50 s for ${rest[0]}, in vain`);
        process.exit(3);
      }
      sleep(50);
    }
  } else if (verb === "commit") {
    execFileSync("git", ["add", "-A"]);
    execFileSync("git", ["-c", "user.name=agent", "-c", "user.email=agent@example.com", "commit", "-q", "-m", rest.join(" ")]);
  } else if (verb === "fail-once") {
    if (!existsSync(rest[0])) {
      writeFileSync(rest[0], "");
      console.error("fake agent: failing once, as asked");
      process.exit(1);
    }
  } else if (verb === "fail") {
    console.error("fake agent: failing, as asked");
    process.exit(1);
  } else {
    console.error(`fake agent: unknown step "${step}"`);
    process.exit(2);
  }
}
console.log(`fake agent: did ${steps.length} step(s)`);
