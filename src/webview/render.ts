/**
 * Streaming markdown that stays fast: finished blocks are rendered once and never parsed again; only
 * the open tail (the last block, which may still grow) is re-lexed and re-rendered, at most once per
 * animation frame however many chunks arrive. The cost of a chunk depends on the size of the last
 * block, not on the length of the answer; and while that block is an unclosed code fence, new code is
 * appended as text without lexing at all.
 */
import type { Token } from 'marked';
import { lexBlocks, renderBlocks, STREAMING_HIGHLIGHT_LIMIT, type Links } from './markdown';

export interface RendererOptions {
  /** Called after the DOM changed (the chat uses it to stay scrolled to the bottom). */
  onRender?: () => void;
  /** How a render is deferred; defaults to requestAnimationFrame. */
  schedule?: (render: () => void) => () => void;
}

export interface RenderStats {
  /** Blocks rendered for good. */
  committedBlocks: number;
  /** Frames rendered. */
  frames: number;
  /** Characters lexed over the renderer's life (grows with the answer, not with its square). */
  lexedChars: number;
  /** Frames that only appended text to an open code block, without lexing. */
  fenceFrames: number;
}

/**
 * An unclosed fenced code block at the end of the text. Until a closing fence arrives nothing can
 * change its meaning, so new text is appended to its `<code>` as plain text, without re-lexing,
 * re-highlighting or re-sanitising the whole block on every frame.
 */
interface OpenFence {
  /** Matches a line that closes this fence. */
  closing: RegExp;
  /** Where streamed code goes (a text node: it can hold no markup). */
  sink: Text;
  /** marked leaves a final newline out of the code text; it is shown once more code follows. */
  withheld: string;
  /** The unfinished last line of the code. */
  line: string;
  /** Characters of code so far. */
  length: number;
  /** When the block was last rendered in full (with highlighting, while it is short). */
  renderedAt: number;
}

/** A short block that is still streaming is re-highlighted at most this often, on a completed line. */
const REHIGHLIGHT_MS = 100;

const defaultSchedule = (render: () => void): (() => void) => {
  const handle = requestAnimationFrame(render);
  return () => cancelAnimationFrame(handle);
};

/**
 * Finished blocks are kept in groups of this many nodes: appending to a container re-lays out all its
 * children, so a flat list of thousands of blocks would make every frame's layout grow with the answer.
 */
const GROUP_NODES = 64;

/** Normalises line endings the way marked does, so offsets into our text match the tokens' raw text. */
function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export class IncrementalRenderer {
  /** Text of the committed blocks (normalised). */
  private head = '';
  /** Text after the last committed block: re-lexed on each frame. */
  private tail = '';
  private pendingCR = false;
  private tailNodes: ChildNode[] = [];
  private group: HTMLElement | undefined;
  private fence: OpenFence | undefined;
  /** Text appended since the last render. */
  private fresh = '';
  private links: Links = Object.create(null) as Links;
  private cancelFrame: (() => void) | undefined;
  private dirty = false;
  private final = false;
  readonly stats: RenderStats = { committedBlocks: 0, frames: 0, lexedChars: 0, fenceFrames: 0 };

  constructor(
    private readonly container: HTMLElement,
    private readonly options: RendererOptions = {},
  ) {}

  /** The whole text so far, with line endings normalised. */
  get text(): string {
    return this.head + this.tail;
  }

  /** Adds streamed text; it is rendered on the next animation frame (or by `flush`). */
  append(chunk: string): void {
    if (!chunk) return;
    let s = chunk;
    // A CRLF split across two chunks is one line break.
    if (this.pendingCR && s.startsWith('\n')) s = s.slice(1);
    this.pendingCR = s.endsWith('\r');
    this.appendNormalised(normalise(s));
  }

  /**
   * Replaces the text. When `full` extends the current text only the new part is added, so blocks
   * already rendered are kept; anything else starts over.
   */
  setText(full: string): void {
    const next = normalise(full);
    const current = this.text;
    if (next.length >= current.length && next.startsWith(current)) {
      this.appendNormalised(next.slice(current.length));
    } else {
      this.reset();
      this.appendNormalised(next);
    }
    this.pendingCR = full.endsWith('\r');
  }

  /** The text is complete: renders now, with full highlighting of the last block. More text may still follow. */
  finish(): void {
    if (!this.final) {
      this.final = true;
      this.dirty = true;
    }
    this.flush();
  }

  /** Renders whatever is pending, now. */
  flush(): void {
    this.cancelFrame?.();
    this.cancelFrame = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.render();
    this.options.onRender?.();
  }

  dispose(): void {
    this.cancelFrame?.();
    this.cancelFrame = undefined;
  }

  private reset(): void {
    this.dispose();
    this.container.replaceChildren();
    this.head = '';
    this.tail = '';
    this.pendingCR = false;
    this.tailNodes = [];
    this.group = undefined;
    this.fence = undefined;
    this.fresh = '';
    this.links = Object.create(null) as Links;
    this.dirty = true;
  }

  private appendNormalised(s: string): void {
    if (!s) return;
    this.tail += s;
    this.fresh += s;
    this.final = false;
    this.dirty = true;
    if (!this.cancelFrame) this.cancelFrame = (this.options.schedule ?? defaultSchedule)(() => {
      this.cancelFrame = undefined;
      this.flush();
    });
  }

  private render(): void {
    this.stats.frames++;
    if (this.fence && !this.final && this.streamIntoFence(this.fence)) return;
    this.fence = undefined;
    this.fresh = '';
    const src = this.tail;
    this.stats.lexedChars += src.length;
    const tokens = lexBlocks(src, this.links);
    const commit = commitPoint(src, tokens);

    for (const node of this.tailNodes) node.remove();
    this.tailNodes = [];

    if (commit.count > 0) {
      const done = tokens.slice(0, commit.count);
      for (const t of done) if (t.type === 'def') this.links[t.tag] ??= { href: t.href, title: t.title };
      this.appendFinished(renderBlocks(done, true));
      this.stats.committedBlocks += done.filter((t) => t.type !== 'space').length;
      this.head += src.slice(0, commit.offset);
      this.tail = src.slice(commit.offset);
    }
    const open = tokens.slice(commit.count);
    if (open.length === 0) return;
    const fragment = renderBlocks(open, this.final);
    this.tailNodes = Array.from(fragment.childNodes);
    this.container.append(fragment);
    if (!this.final && open.length === 1 && open[0]!.type === 'code') this.fence = this.watchFence(open[0]!.raw);
  }

  /** Sets up the fast path for an unclosed fence that is the whole tail; undefined when it does not apply. */
  private watchFence(raw: string): OpenFence | undefined {
    // An indented fence strips indentation from its lines: left to the full render.
    const opening = /^(`{3,}|~{3,})[^\n]*\n/.exec(raw);
    if (!opening) return undefined;
    const marker = opening[1]!;
    const closing = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
    const content = raw.slice(opening[0].length);
    const lastLine = content.endsWith('\n') ? content.slice(0, -1).split('\n').pop() : content.split('\n').pop();
    if (content !== '' && closing.test(lastLine ?? '')) return undefined;
    const code = this.tailNodes.map((n) => (n instanceof Element ? n.querySelector('pre > code') : null)).find((c) => c);
    const shown = code?.textContent ?? '';
    if (!code || !content.startsWith(shown)) return undefined;
    const withheld = content.slice(shown.length);
    if (withheld !== '' && withheld !== '\n') return undefined;
    const sink = document.createTextNode('');
    code.append(sink);
    return { closing, sink, withheld, line: content.slice(content.lastIndexOf('\n') + 1), length: content.length, renderedAt: performance.now() };
  }

  /** Appends fresh text to an open fence; false when a full render is needed (the fence closed, or it is time to re-highlight). */
  private streamIntoFence(fence: OpenFence): boolean {
    const fresh = this.fresh;
    const lines = (fence.line + fresh).split('\n');
    for (let i = 0; i < lines.length - 1; i++) if (fence.closing.test(lines[i]!)) return false;
    const length = fence.length + fresh.length;
    if (lines.length > 1 && length <= STREAMING_HIGHLIGHT_LIMIT && performance.now() - fence.renderedAt >= REHIGHLIGHT_MS) return false;
    let show = fence.withheld + fresh;
    fence.withheld = '';
    if (show.endsWith('\n')) {
      fence.withheld = '\n';
      show = show.slice(0, -1);
    }
    fence.sink.appendData(show);
    fence.line = lines[lines.length - 1]!;
    fence.length = length;
    this.fresh = '';
    this.stats.fenceFrames++;
    return true;
  }

  private appendFinished(fragment: DocumentFragment): void {
    const nodes = Array.from(fragment.childNodes);
    for (let i = 0; i < nodes.length; ) {
      if (!this.group || this.group.childNodes.length >= GROUP_NODES) {
        this.group = document.createElement('div');
        this.group.className = 'md-group';
        this.container.append(this.group);
      }
      const take = GROUP_NODES - this.group.childNodes.length;
      this.group.append(...nodes.slice(i, i + take));
      i += take;
    }
  }
}

/**
 * How many leading tokens are final, and where they end in `src`. A block is final once a later,
 * non-blank block has begun on a complete line: block structure is decided line by line, so a
 * finished line that is not part of the block closes it for good. (A later line can still change
 * the block just before it — a setext underline, a table's delimiter row, the rest of a list marker
 * — which is why the last block, and a block followed only by a partial line, stay open.)
 */
export function commitPoint(src: string, tokens: readonly Token[]): { count: number; offset: number } {
  const lastNewline = src.lastIndexOf('\n');
  let best = { count: 0, offset: 0 };
  let pos = 0;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!.raw;
    // Raw texts tile the source, except for a repeated reference definition, which marked drops.
    let start = pos;
    if (!src.startsWith(raw, pos)) {
      start = src.indexOf(raw, pos);
      if (start < 0 || !/^ {0,3}\[/.test(src.slice(pos, start))) break;
    }
    if (start > lastNewline) break;
    if (i > 0 && tokens[i]!.type !== 'space') best = { count: i, offset: start };
    pos = start + raw.length;
  }
  return best;
}
