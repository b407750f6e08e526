/** A proposed edit as find/replace pairs: each `find` must name exactly one place, or nothing changes. */

export interface FindReplace {
  find: string;
  replace: string;
}

/**
 * The text after every edit, applied in order; or why not. A `find` that is missing, or that occurs
 * more than once, is refused (the model is asked to quote more context) rather than guessed at. Line
 * endings are matched as the file has them: an edit written with `\n` applies to a CRLF file.
 */
export function applyEdits(original: string, edits: readonly FindReplace[]): { ok: true; text: string } | { ok: false; why: string } {
  const crlf = original.includes('\r\n');
  let text = original;
  for (const [i, edit] of edits.entries()) {
    const find = crlf ? edit.find.replace(/\r?\n/g, '\r\n') : edit.find;
    const replace = crlf ? edit.replace.replace(/\r?\n/g, '\r\n') : edit.replace;
    const at = text.indexOf(find);
    const label = edits.length > 1 ? `edit ${i + 1}: ` : '';
    if (at < 0) return { ok: false, why: `${label}the text to find is not in the file (quote it exactly, with its indentation)` };
    if (text.indexOf(find, at + 1) >= 0) return { ok: false, why: `${label}the text to find occurs more than once; include more of the surrounding lines` };
    text = text.slice(0, at) + replace + text.slice(at + find.length);
  }
  return { ok: true, text };
}
