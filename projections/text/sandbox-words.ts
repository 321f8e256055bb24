// Pure. An attempt's sandbox profile in words, for `peh log`, `peh status` and the report:
// `sandboxed · writes /w/src · read-only /w/.peh, /w/.git · no network`.
import type { SandboxProfile } from "../../events/index.js";

export function sandboxWords(profile: SandboxProfile): string {
  const writes = profile.writable.length ? `writes ${profile.writable.join(", ")}` : "writes nothing but /tmp";
  const missing = profile.missing?.length ? ` · not found, so not writable: ${profile.missing.join(", ")}` : "";
  if (!profile.sandboxed) return `NOT sandboxed (${profile.reason ?? "no reason recorded"})`;
  const kept = profile.read_only.length ? ` · read-only ${profile.read_only.join(", ")}` : "";
  return `sandboxed · ${writes} and a private /tmp${kept}${missing} · ${profile.network ? "network granted" : "no network"}`;
}
