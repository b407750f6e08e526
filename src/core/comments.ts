/** Finding the comment at the cursor and putting a translated comment back with its syntax intact. */

const LINE_MARKERS = ['///', '//', '#', '--', ';;', ';', '%', "'"];

/** The comment marker a line starts with (after indentation), if any. */
function lineMarker(line: string): string | undefined {
  const t = line.trimStart();
  if (t.startsWith('#!')) return undefined;
  return LINE_MARKERS.find((m) => t.startsWith(m));
}

export interface LineRange {
  /** 0-based, inclusive. */
  start: number;
  end: number;
}

/** The comment around `line`: a run of line comments with the same marker, or a block comment. */
export function findCommentAt(lines: string[], line: number): LineRange | undefined {
  const at = lines[line];
  if (at === undefined) return undefined;
  // Block comments: /* … */, <!-- … -->, """ … """ (docstrings).
  for (const [open, close] of [
    ['/*', '*/'],
    ['<!--', '-->'],
    ['"""', '"""'],
  ] as const) {
    let start = line;
    while (start >= 0 && !lines[start]!.includes(open)) {
      if (start !== line && lines[start]!.includes(close)) break;
      start--;
    }
    if (start < 0 || !lines[start]!.includes(open)) continue;
    let end = start;
    const firstRest = lines[start]!.slice(lines[start]!.indexOf(open) + open.length);
    if (!firstRest.includes(close)) {
      end = start + 1;
      while (end < lines.length && !lines[end]!.includes(close)) end++;
    }
    if (end < lines.length && line >= start && line <= end) return { start, end };
  }
  const marker = lineMarker(at);
  if (!marker) return undefined;
  let start = line;
  let end = line;
  while (start > 0 && lineMarker(lines[start - 1]!) === marker) start--;
  while (end < lines.length - 1 && lineMarker(lines[end + 1]!) === marker) end++;
  return { start, end };
}

/** The content of the first fenced code block in a Markdown answer, or the whole answer without fences. */
export function firstCodeBlock(markdown: string): string {
  const m = /(^|\n)(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\2/.exec(markdown);
  return (m ? m[3]! : markdown).replace(/\s+$/, '');
}

/**
 * Makes a translated comment safe to put back where the original was: if the model dropped the
 * comment markers or the indentation, they are restored from the original's first line.
 */
export function restoreCommentSyntax(original: string, translated: string): string {
  const originalLines = original.split('\n');
  const first = originalLines[0] ?? '';
  const indent = /^\s*/.exec(first)![0];
  const marker = lineMarker(first);
  const lines = translated.split('\n');
  if (marker) {
    return lines
      .map((l) => {
        if (lineMarker(l) === marker) return indent + l.trimStart();
        return l.trim() ? `${indent}${marker} ${l.trim()}` : `${indent}${marker}`;
      })
      .join('\n');
  }
  const t = first.trimStart();
  const open = ['/*', '<!--', '"""'].find((o) => t.startsWith(o));
  if (open) {
    const close = open === '/*' ? '*/' : open === '<!--' ? '-->' : '"""';
    const body = translated.trim();
    const wrapped = body.startsWith(open) ? body : `${open} ${body}`;
    const closed = wrapped.endsWith(close) ? wrapped : `${wrapped} ${close}`;
    return closed
      .split('\n')
      .map((l, i) => (i === 0 ? indent + l.trimStart() : l.startsWith(indent) ? l : indent + l.trimStart()))
      .join('\n');
  }
  return translated;
}

/** Comment syntax per language family: line markers and block delimiters. */
const SYNTAX: Array<{ languages: RegExp; line: string[]; blocks: Array<[string, string]> }> = [
  {
    languages: /^(?:javascript|typescript|javascriptreact|typescriptreact|java|c|cpp|csharp|go|rust|swift|kotlin|scala|dart|php|css|scss|less|jsonc|groovy|objective-c|objective-cpp|proto3?|zig)$/,
    line: ['///', '//'],
    blocks: [['/*', '*/']],
  },
  { languages: /^(?:python)$/, line: ['#'], blocks: [['"""', '"""']] },
  { languages: /^(?:shellscript|ruby|perl|r|yaml|toml|dockerfile|makefile|powershell|elixir|coffeescript|julia|nim|properties|ini|cmake|nix)$/, line: ['#'], blocks: [] },
  { languages: /^(?:sql|lua|haskell|ada|elm)$/, line: ['--'], blocks: [] },
  { languages: /^(?:html|xml|markdown|vue-html|svg|xsl)$/, line: [], blocks: [['<!--', '-->']] },
  { languages: /^(?:clojure|lisp|scheme|racket|ini)$/, line: [';;', ';'], blocks: [] },
  { languages: /^(?:latex|tex|matlab|erlang)$/, line: ['%'], blocks: [] },
  { languages: /^(?:vb|vbscript)$/, line: ["'"], blocks: [] },
];

/**
 * Every whole-line comment of a file, for Translate Comments in File: runs of line comments with the
 * same marker, and block comments that start a line. Comments after code on the same line are left
 * alone (replacing them would mean rewriting code lines). Only comments with letters in them count.
 */
export function findComments(lines: string[], languageId: string): LineRange[] {
  const syntax = SYNTAX.find((s) => s.languages.test(languageId)) ?? { line: ['//', '#'], blocks: [['/*', '*/']] as Array<[string, string]> };
  const out: LineRange[] = [];
  const marker = (line: string) => {
    const t = line.trimStart();
    return t.startsWith('#!') ? undefined : syntax.line.find((m) => t.startsWith(m));
  };
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trimStart();
    const block = syntax.blocks.find(([open]) => t.startsWith(open));
    if (block) {
      const [open, close] = block;
      let end = i;
      if (!t.slice(open.length).includes(close)) {
        end = i + 1;
        while (end < lines.length && !lines[end]!.includes(close)) end++;
        if (end >= lines.length) break; // an unclosed block: leave the rest of the file alone
      }
      out.push({ start: i, end });
      i = end;
      continue;
    }
    const m = marker(lines[i]!);
    if (!m) continue;
    let end = i;
    while (end + 1 < lines.length && marker(lines[end + 1]!) === m) end++;
    out.push({ start: i, end });
    i = end;
  }
  return out.filter((r) => /\p{L}/u.test(lines.slice(r.start, r.end + 1).join('\n').replace(/\/\/\/?|\/\*|\*\/|<!--|-->|"""|^\s*[#;%'-]+/gm, '')));
}
