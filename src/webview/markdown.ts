/**
 * Markdown tokens → sanitised DOM. Model output is untrusted: everything marked produces goes through
 * DOMPurify with an allow-list before it touches the document, and no element that fetches anything
 * (img, media, frames, styles, forms, svg) is ever allowed, so nothing leaks even for an instant.
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Lexer, Marked, type Token, type TokensList } from 'marked';

// A handful of languages keeps the bundle small; anything else is shown as plain code.
for (const [name, fn] of Object.entries({ bash, c, cpp, csharp, css, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml })) {
  hljs.registerLanguage(name, fn);
}
hljs.registerAliases(['shell', 'console', 'zsh'], { languageName: 'bash' });

/** Code longer than this is left unhighlighted while its block is still streaming (it is highlighted once finished). */
export const STREAMING_HIGHLIGHT_LIMIT = 4000;
let highlightLimit = Infinity;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const md = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
      const known = language !== '' && hljs.getLanguage(language) !== undefined;
      const body = known && text.length <= highlightLimit ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const cls = language ? ` class="hljs language-${escapeHtml(language)}"` : ' class="hljs"';
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
    // Images are never loaded: the alt text stands in for them.
    image({ text }) {
      return text ? `<span class="md-image">[image: ${escapeHtml(text)}]</span>` : '';
    },
    // Task-list boxes as text, so no <input> is needed.
    checkbox({ checked }) {
      return `<span class="md-check">${checked ? '☑' : '☐'}</span> `;
    },
  },
});

export type Links = TokensList['links'];

/** Lexes block-level markdown; `links` are reference definitions already seen earlier in the answer. */
export function lexBlocks(src: string, links: Links): TokensList {
  const lexer = new Lexer(md.defaults);
  Object.assign(lexer.tokens.links, links);
  return lexer.lex(src);
}

const ALLOWED_TAGS = [
  'a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'kbd', 'li',
  'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul', 'div',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'align', 'start'];
const SAFE_HREF = /^(https?:|mailto:)/i;

/** True for the only link targets the host may be asked to open. */
export function isSafeHref(href: string | null | undefined): href is string {
  return typeof href === 'string' && SAFE_HREF.test(href.trim());
}

/** Classes model output may carry: highlight.js scopes and our own markdown classes, so it cannot dress up as the UI. */
const SAFE_CLASS = /^(hljs(-[\w-]+)?|language-[\w+#.-]+|[a-z]+_|md-[a-z]+)$/;

const purify = DOMPurify(window);
purify.addHook('uponSanitizeAttribute', (_node, data) => {
  if (data.attrName !== 'class') return;
  data.attrValue = data.attrValue.split(/\s+/).filter((c) => SAFE_CLASS.test(c)).join(' ');
  if (!data.attrValue) data.keepAttr = false;
});
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (!isSafeHref(href)) {
    // javascript:, data:, relative and command links become plain text-like anchors.
    node.removeAttribute('href');
    return;
  }
  node.setAttribute('title', node.getAttribute('title') || href.trim());
  node.classList.add('md-link');
});

const PURIFY_CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  RETURN_DOM_FRAGMENT: true as const,
};

/** Sanitises untrusted HTML into an inert fragment (never parsed by the live document). */
export function sanitize(html: string): DocumentFragment {
  return purify.sanitize(html, PURIFY_CONFIG);
}

function button(action: string, label: string, ariaLabel: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'code-action';
  b.dataset.action = action;
  b.textContent = label;
  b.setAttribute('aria-label', ariaLabel);
  return b;
}

/** Wraps each code block with its language and the Copy / Insert buttons. */
function decorateCodeBlocks(root: DocumentFragment): void {
  for (const pre of Array.from(root.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    const language = /(?:^|\s)language-(\S+)/.exec(code?.className ?? '')?.[1] ?? '';
    const wrap = document.createElement('div');
    wrap.className = 'code-block';
    const bar = document.createElement('div');
    bar.className = 'code-toolbar';
    const label = document.createElement('span');
    label.className = 'code-lang';
    label.textContent = language;
    bar.append(label, button('copy', 'Copy', 'Copy code'), button('insert', 'Insert', 'Insert code at the cursor'));
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/**
 * Renders block tokens to sanitised, decorated nodes. `final` is false for a block that may still
 * grow: a long code block then skips highlighting (re-highlighting it every frame would cost O(length)).
 */
export function renderBlocks(tokens: Token[], final: boolean): DocumentFragment {
  highlightLimit = final ? Infinity : STREAMING_HIGHLIGHT_LIMIT;
  const html = md.parser(tokens);
  const fragment = sanitize(html);
  decorateCodeBlocks(fragment);
  return fragment;
}
