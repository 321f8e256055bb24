// Adds a directory to trust.roots in the text of the user's config, changing nothing else: the
// user's comments, spacing, order and keys peh does not know stay byte for byte where the list's
// shape allows a plain insertion, and through yaml's Document (comments kept) where it does not.
// Pure: text in, text out.
import { isMap, isScalar, isSeq, parse, parseDocument, stringify, type Document } from "yaml";

/** `text` with `root` added to trust.roots (a list made where there is none). */
export function withTrustedRoot(text: string, root: string): string {
  const inserted = insertInPlace(text, root);
  // The insertion must mean exactly "one more root": otherwise the Document edits it.
  if (inserted !== undefined && sameBut(text, inserted, root)) return inserted;
  return viaDocument(text, root);
}

function insertInPlace(text: string, root: string): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return undefined;
  if (doc.contents === null) return `${withNewline(text)}trust:\n  roots:\n    - ${plain(root)}\n`;
  if (!isMap(doc.contents) || doc.contents.flow) return undefined;
  const trust = doc.contents.get("trust", true);
  if (trust === undefined) return `${withNewline(text)}trust:\n  roots:\n    - ${plain(root)}\n`;
  if (!isMap(trust)) return undefined;
  const roots = trust.get("roots", true);
  if (!isSeq(roots) || !roots.range) return undefined;
  if (roots.flow) {
    // `roots: [a, b]` → `roots: [a, b, root]`, before the closing bracket.
    const close = text.lastIndexOf("]", roots.range[1] - 1);
    if (close < roots.range[0]) return undefined;
    const flowRoot = /[,[\]{}]/.test(plain(root)) ? JSON.stringify(root) : plain(root);
    const content = text.slice(0, close).trimEnd();
    const padding = text.slice(content.length, close);
    return `${content}${roots.items.length > 0 ? ", " : ""}${flowRoot}${padding}${text.slice(close)}`;
  }
  // A block list: a line like its last item's, after that item's line.
  const last = roots.items.at(-1);
  if (!isScalar(last) || !last.range) return undefined;
  const lineStart = text.lastIndexOf("\n", last.range[0]) + 1;
  const dash = text.slice(lineStart, last.range[0]);
  if (!/^\s*-\s+$/.test(dash)) return undefined;
  const lineEnd = text.indexOf("\n", last.range[0]);
  const at = lineEnd === -1 ? text.length : lineEnd + 1;
  return `${withNewline(text.slice(0, at))}${dash}${plain(root)}\n${text.slice(at)}`;
}

/** The same config as `before`, with `root` added at the end of trust.roots and nothing else. */
function sameBut(before: string, after: string, root: string): boolean {
  try {
    const expected = (parse(before) ?? {}) as { trust?: { roots?: unknown[] } };
    const trust = { ...(expected.trust ?? {}), roots: [...(expected.trust?.roots ?? []), root] };
    return JSON.stringify(parse(after)) === JSON.stringify({ ...expected, trust });
  } catch {
    return false;
  }
}

function viaDocument(text: string, root: string): string {
  // Widened from the parsed type: an empty file gets a map for contents.
  const doc: Document = parseDocument(text);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({});
  if (!isMap(doc.get("trust", true))) doc.set("trust", doc.createNode({}));
  const roots = doc.getIn(["trust", "roots"], true);
  if (isSeq(roots)) roots.add(doc.createNode(root));
  else doc.setIn(["trust", "roots"], doc.createNode([root]));
  return doc.toString({ flowCollectionPadding: false });
}

/** A path as a YAML scalar: plain where it can be, quoted where it must be. */
const plain = (path: string) => stringify(path).trimEnd();

const withNewline = (text: string) => (text === "" || text.endsWith("\n") ? text : `${text}\n`);
