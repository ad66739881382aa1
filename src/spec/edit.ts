// Changing one value of a spec file the way a person would: only that value's characters change, so
// the user's comments, key order, quoting and blank lines stay as they wrote them. `yaml`'s Document
// API finds the value's place in the text (eemeli.github.io/yaml, "Documents" and "Nodes": a node's
// `range` is [start, valueEnd, nodeEnd] in the source).
import { isMap, isScalar, parseDocument, Scalar } from "yaml";

/**
 * `text` with the scalar at `path` set to `value`. An existing plain or quoted scalar is replaced in
 * place, in the same style; a missing key is added by the Document API (comments stay, the new key may
 * be laid out in yaml's own style). Throws when the path holds something other than a scalar or a
 * mapping on the way.
 */
export function setScalar(text: string, path: readonly string[], value: string): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length) throw new Error(`cannot edit: ${doc.errors[0]!.message}`);
  const node = doc.getIn(path, true);
  if (node !== undefined) {
    if (!isScalar(node) || !node.range) throw new Error(`${path.join(".")} is not a single value: not changing it`);
    const [start, end] = node.range;
    const written = node.type === Scalar.QUOTE_DOUBLE ? JSON.stringify(value) : node.type === Scalar.QUOTE_SINGLE ? `'${value.replace(/'/g, "''")}'` : value;
    return text.slice(0, start) + written + text.slice(end);
  }
  for (let i = 1; i < path.length; i++) {
    const parent = doc.getIn(path.slice(0, i), true);
    if (parent !== undefined && !isMap(parent)) throw new Error(`${path.slice(0, i).join(".")} is not a mapping: cannot add ${path.join(".")}`);
  }
  doc.setIn(path, value);
  return doc.toString({ lineWidth: 0 });
}
