// Separate hosts on one machine, for the full nemesis: each a network namespace reaching this one
// over its own veth pair (10.201.N.1 here, 10.201.N.2 there), as a worker on another host would
// reach a PostgreSQL server. Needs root and iproute2; `hosts` says why not where they cannot be made.
import { execFileSync } from "node:child_process";

export interface Hosts {
  /** `ip netns exec NAME` for host i: the command prefix that runs a process there. */
  prefix(i: number): string[];
  /** The address the server listens on for host i (this side of its veth pair). */
  serverAddress(i: number): string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** `count` namespaces with a veth pair each, or the reason they cannot be made. */
export function hosts(count: number): Hosts | { missing: string } {
  const tag = String(process.pid % 10_000);
  const made: string[] = [];
  const remove = () => {
    for (const name of made) {
      try {
        ip("netns", "del", name);
      } catch {
        // already gone
      }
    }
  };
  try {
    for (let i = 1; i <= count; i++) {
      const name = `peh-${tag}-${i}`;
      const outer = `ph${tag}o${i}`;
      const inner = `ph${tag}i${i}`;
      ip("netns", "add", name);
      made.push(name);
      ip("link", "add", outer, "type", "veth", "peer", "name", inner);
      ip("link", "set", inner, "netns", name);
      ip("addr", "add", `10.201.${i}.1/24`, "dev", outer);
      ip("link", "set", outer, "up");
      ip("netns", "exec", name, "ip", "addr", "add", `10.201.${i}.2/24`, "dev", inner);
      ip("netns", "exec", name, "ip", "link", "set", inner, "up");
      ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    }
  } catch (error) {
    remove();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { missing: `network namespaces cannot be made here (ip netns/veth: ${stderr || (error as Error).message})` };
  }
  return {
    prefix: (i) => ["ip", "netns", "exec", `peh-${tag}-${i}`],
    serverAddress: (i) => `10.201.${i}.1`,
    remove,
  };
}
