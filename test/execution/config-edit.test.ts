// Adding a trusted root to the text of the user's config: one more root in trust.roots, every
// other byte kept where the list's shape allows, comments and unknown keys kept in every shape.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { withTrustedRoot } from "../../runtime/execution/trust/config-edit.js";

describe("config edit › adding a trusted root", () => {
  it.each([
    ["an empty file", "", "trust:\n  roots:\n    - /w/app\n"],
    ["comments only", "# mine\n", "# mine\ntrust:\n  roots:\n    - /w/app\n"],
    ["no trust key, no final newline", "editor: vim  # mine", "editor: vim  # mine\ntrust:\n  roots:\n    - /w/app\n"],
    ["an empty flow list", "trust:\n  roots: []   # none yet\n", "trust:\n  roots: [/w/app]   # none yet\n"],
    ["a flow list", "trust:\n  roots: [ /a,  /b ]  # two\n", "trust:\n  roots: [ /a,  /b, /w/app ]  # two\n"],
    [
      "a block list with comments",
      "trust:\n  roots:\n    - /a    # first\n    - /b\n  # then the denials\n  deny: [/a/secret]\nagent:\n  command: x\n",
      "trust:\n  roots:\n    - /a    # first\n    - /b\n    - /w/app\n  # then the denials\n  deny: [/a/secret]\nagent:\n  command: x\n",
    ],
  ])("keeps every other byte of %s", (_shape, before, after) => {
    expect(withTrustedRoot(before, "/w/app")).toBe(after);
  });

  it.each([
    ["trust without roots", "trust:\n  deny: [/x]   # keep\neditor: vim # mine\n"],
    ["a flow map", "{trust: {roots: [/a]}, editor: vim}\n"],
    ["a null trust", "# top\ntrust:\nfoo: 1\n"],
  ])("adds the root and keeps comments and unknown keys in %s", (_shape, before) => {
    const after = withTrustedRoot(before, "/w/app");
    const was = (parse(before) ?? {}) as Record<string, unknown> & { trust?: { roots?: string[] } | null };
    expect(parse(after)).toEqual({ ...was, trust: { ...(was.trust ?? {}), roots: [...(was.trust?.roots ?? []), "/w/app"] } });
    for (const comment of before.match(/#.*$/gm) ?? []) expect(after).toContain(comment);
  });

  it("quotes a path that YAML would read otherwise", () => {
    for (const path of ["/w/a: b", "/w/#tag", "/w/a, b", "/w/[x]"]) {
      for (const before of ["", "trust:\n  roots: [/a]\n", "trust:\n  roots:\n    - /a\n"]) {
        expect((parse(withTrustedRoot(before, path)) as { trust: { roots: string[] } }).trust.roots.at(-1), `${path} in ${JSON.stringify(before)}`).toBe(path);
      }
    }
  });
});
