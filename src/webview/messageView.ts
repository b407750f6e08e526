/** One chat message in the DOM: its header, failover note, rendered text, status and actions. */
import { TASK_LABELS, TASK_TYPES } from '../core/tasks';
import { formatCost, formatCount } from '../core/usage/ledger';
import type { FailoverNote, HedgeNote, ToolStep, UiMessage } from '../protocol';
import { actionButton, h } from './dom';
import { IncrementalRenderer } from './render';

const FIX_LABELS = { setApiKey: 'Set API Key', openSettings: 'Open Settings' } as const;

function isOpen(state: UiMessage['state']): boolean {
  return state === 'streaming' || state === 'waiting';
}

function joinNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** "Answered by claude-sonnet-4 after gpt-5 failed" */
/** `hedged`: the answer's model won a race against a slow one (the loser was stopped). */
function hedgeBadge(hedge: HedgeNote): HTMLElement {
  const after = hedge.afterMs < 1000 ? `${Math.round(hedge.afterMs)} ms` : `${(hedge.afterMs / 1000).toFixed(1)} s`;
  const text = `Hedged: ${hedge.loser} sent nothing for ${after}, so ${hedge.winner} was asked too and answered first; ${hedge.loser} was stopped.`;
  return h('span', { class: 'hedged', 'data-testid': 'hedged', 'data-winner': hedge.winner, 'data-loser': hedge.loser, title: text, 'aria-label': text }, `hedged over ${hedge.loser}`);
}

export function failoverSummary(message: Pick<UiMessage, 'state' | 'model' | 'failovers'>): string {
  const failed = [...new Set(message.failovers.map((f) => f.from))];
  const to = message.model ?? message.failovers.at(-1)?.to ?? '';
  switch (message.state) {
    case 'done':
      return `Answered by ${to} after ${joinNames(failed)} failed`;
    case 'streaming':
    case 'waiting':
      return `Switched to ${to} after ${joinNames(failed)} failed`;
    default:
      return `Tried ${to} after ${joinNames(failed)} failed`;
  }
}

/**
 * The user's own words as text nodes (never HTML, never Markdown), except that a fenced block (the
 * selection that Review or Explain sends) is shown as code, without its fence lines.
 */
export function userContent(text: string): Node[] {
  const nodes: Node[] = [];
  let prose: string[] = [];
  let code: { fence: string; lines: string[] } | undefined;
  const flushProse = () => {
    const t = prose.join('\n').replace(/^\n+|\n+$/g, '');
    if (t) nodes.push(document.createTextNode(t));
    prose = [];
  };
  for (const line of text.split('\n')) {
    if (code) {
      if (line.trim() === code.fence) {
        nodes.push(h('pre', { class: 'user-code' }, h('code', {}, code.lines.join('\n'))));
        code = undefined;
      } else code.lines.push(line);
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})[\w+#.-]*\s*$/.exec(line);
    if (open) {
      flushProse();
      code = { fence: open[1]!, lines: [] };
    } else prose.push(line);
  }
  // An unclosed fence is shown as it was typed.
  if (code) prose.push(code.fence, ...code.lines);
  flushProse();
  return nodes;
}

function failoverNote(message: UiMessage, open: boolean): HTMLDetailsElement {
  const items = message.failovers.map((f: FailoverNote) =>
    h('li', {}, h('span', { class: 'model-name' }, f.from), ' → ', h('span', { class: 'model-name' }, f.to), f.summary ? `: ${f.summary}` : ''),
  );
  return h(
    'details',
    { 'data-testid': 'failover-note', class: 'failover-note', open },
    h('summary', {}, failoverSummary(message)),
    h('ul', {}, ...items),
  );
}

/** One tool call as a collapsible line: name and summary; expanded, the arguments and what came back. */
function toolStepView(step: ToolStep, open: boolean): HTMLDetailsElement {
  return h(
    'details',
    { class: `tool-step ${step.state}`, 'data-testid': 'tool-step', 'data-tool': step.name, 'data-state': step.state, 'data-step': step.id, open },
    h(
      'summary',
      {},
      h('span', { class: 'tool-name' }, step.name),
      h('span', { class: 'tool-summary' }, step.state === 'running' ? 'running…' : (step.summary ?? '')),
    ),
    h('pre', { class: 'tool-args', 'aria-label': 'Arguments' }, step.args || '{}'),
    step.detail ? h('pre', { class: 'tool-detail', 'aria-label': 'Result' }, step.detail) : undefined,
  );
}

/** A proposed edit waiting for the user: the choice sits beside the step, not inside its collapsed part. */
function proposalActions(step: ToolStep): HTMLElement {
  return h(
    'div',
    { class: 'proposal-actions', 'data-testid': 'proposal', 'data-step': step.id, role: 'group', 'aria-label': 'Proposed edit' },
    h('span', { class: 'proposal-text' }, step.summary ?? 'A proposed edit is waiting for you'),
    actionButton('proposal', 'Apply', { 'data-decision': 'apply', 'aria-label': 'Apply the proposed edit' }),
    actionButton('proposal', 'Reject', { 'data-decision': 'reject', class: 'secondary', 'aria-label': 'Reject the proposed edit' }),
    actionButton('proposal', 'Show Diff', { 'data-decision': 'show', class: 'secondary', 'aria-label': 'Show the proposed edit as a diff' }),
  );
}

export class MessageView {
  readonly el: HTMLElement;
  private readonly header: HTMLElement;
  private readonly notes: HTMLElement;
  /** The model's reasoning: collapsed, above the answer, never part of its text. */
  private readonly thinking: HTMLDetailsElement;
  private readonly thinkingText = document.createTextNode('');
  private readonly toolSteps: HTMLElement;
  private readonly body: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly renderer: IncrementalRenderer | undefined;
  private chromeKey = '';
  private message: UiMessage;

  constructor(message: UiMessage, onRender: () => void) {
    this.message = message;
    const assistant = message.role === 'assistant';
    this.header = h('div', { class: 'msg-header' });
    this.notes = h('div', { class: 'msg-notes' });
    this.thinking = h(
      'details',
      { class: 'thinking', 'data-testid': 'thinking', hidden: true },
      h('summary', {}, 'Thinking'),
      h('div', { class: 'thinking-text' }, this.thinkingText),
    );
    this.toolSteps = h('div', { class: 'tool-steps', hidden: true });
    this.body = h('div', { class: assistant ? 'msg-body markdown' : 'msg-body user-text' });
    this.footer = h('div', { class: 'msg-footer' });
    this.el = h(
      'article',
      {
        class: `message ${message.role}`,
        'data-testid': 'message',
        'data-role': message.role,
        'aria-label': assistant ? 'Answer' : 'You',
      },
      this.header,
      this.notes,
      this.thinking,
      this.toolSteps,
      this.body,
      this.footer,
    );
    this.el.dataset.id = message.id;
    if (assistant) this.renderer = new IncrementalRenderer(this.body, { onRender });
    this.update(message, true);
  }

  get id(): string {
    return this.message.id;
  }

  get role(): UiMessage['role'] {
    return this.message.role;
  }

  /** Applies a new version of the message; rendered blocks are kept when the text only grew. */
  update(message: UiMessage, first = false): void {
    const previous = this.message;
    this.message = message;
    if ((message.reasoning ?? '') !== this.thinkingText.data) this.thinkingText.data = message.reasoning ?? '';
    this.thinking.hidden = !message.reasoning;
    if (this.renderer) {
      this.renderer.setText(message.text);
      if (isOpen(message.state)) {
        // The first paint of a message restored mid-stream should not wait for a frame.
        if (first) this.renderer.flush();
      } else {
        this.renderer.finish();
      }
    } else if (first || previous.text !== message.text) {
      const chips = message.chips?.length
        ? [h('div', { class: 'sent-chips', 'aria-label': 'Attached context' }, ...message.chips.map((c) => h('span', { class: 'chip', 'data-testid': 'sent-chip' }, c)))]
        : [];
      this.body.replaceChildren(...chips, ...userContent(message.text));
    }
    this.renderChrome();
  }

  /** Streamed text for an assistant message. */
  delta(text: string): void {
    if (!this.renderer) return;
    this.message = { ...this.message, text: this.message.text + text };
    this.renderer.append(text);
  }

  /** Streamed reasoning: appended to the Thinking section. */
  reasoning(text: string): void {
    this.message = { ...this.message, reasoning: (this.message.reasoning ?? '') + text };
    this.thinkingText.appendData(text);
    this.thinking.hidden = false;
  }

  dispose(): void {
    this.renderer?.dispose();
  }

  private renderChrome(): void {
    const m = this.message;
    const key = JSON.stringify([m.state, m.model, m.models, m.task, m.taskReason, m.confidence, m.routeNote, m.usage, m.cost, m.estimated, m.failovers, m.hedge, m.notice, m.error, m.replaceable, m.tools]);
    if (key === this.chromeKey) return;
    this.chromeKey = key;
    if (m.role === 'user') return;

    this.el.dataset.model = m.model ?? '';
    this.el.dataset.state = m.state;
    this.el.setAttribute('aria-busy', String(isOpen(m.state)));
    this.el.setAttribute('aria-label', m.model ? `Answer from ${m.model}` : 'Answer');

    const parts: (Node | string)[] = [h('span', { class: 'model-name' }, m.model ?? (isOpen(m.state) ? 'routing…' : 'Switchboard'))];
    if (m.failovers.length > 0) parts.push(h('span', { class: 'via' }, 'via failover'));
    if (m.hedge) parts.push(hedgeBadge(m.hedge));
    if (m.task) {
      this.el.dataset.task = m.task;
      parts.push(h('span', { class: 'task' }, TASK_LABELS[m.task]));
      const reason = [m.taskReason, m.confidence !== undefined ? `${Math.round(m.confidence * 100)}%` : undefined].filter(Boolean).join(', ');
      if (reason) parts.push(h('span', { class: 'route-reason', 'data-testid': 'route-reason', title: `Routed to ${TASK_LABELS[m.task]}: ${reason}` }, reason));
    }
    const cost = costPart(m);
    if (cost) parts.push(cost);
    if (m.routeNote) parts.push(h('span', { class: 'cost-mode', 'data-testid': 'cost-mode', title: 'The cost mode (switchboard.costMode) chose a cheaper model for this request' }, m.routeNote));
    this.header.replaceChildren(...parts);

    const wasOpen = this.notes.querySelector('details')?.open ?? false;
    this.notes.replaceChildren(...(m.failovers.length > 0 ? [failoverNote(m, wasOpen)] : []));

    // Steps the user expanded stay expanded while later ones arrive.
    const expanded = new Set([...this.toolSteps.querySelectorAll<HTMLDetailsElement>('details[open]')].map((d) => d.dataset.step));
    this.toolSteps.replaceChildren(
      ...(m.tools ?? []).flatMap((step) => {
        const view = toolStepView(step, expanded.has(step.id));
        if (step.state !== 'waiting') return [view];
        // The buttons sit beside the step (not inside its collapsed part) and name it with data-step.
        return [view, proposalActions(step)];
      }),
    );
    this.toolSteps.hidden = !m.tools?.length;

    this.footer.replaceChildren(...this.footerParts(m));
  }

  private footerParts(m: UiMessage): Node[] {
    const notice = m.notice ? h('span', { class: 'notice' }, m.notice) : undefined;
    switch (m.state) {
      case 'streaming':
      case 'waiting':
        return [
          h(
            'div',
            { class: `msg-status ${m.state}` },
            h('span', { class: 'busy-dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
            notice ?? h('span', { class: 'sr-only' }, 'Answering'),
          ),
        ];
      case 'done': {
        const out: Node[] = [];
        if (notice) out.push(h('div', { class: 'msg-status' }, notice));
        out.push(h('div', { class: 'msg-actions' }, m.replaceable ? actionButton('replace', 'Replace comment', { 'aria-label': 'Replace the comment with this translation' }) : undefined, rerouteControl(m)));
        return out;
      }
      case 'cancelled':
        return [h('div', { class: 'msg-status cancelled' }, h('span', { class: 'stopped' }, 'stopped'), notice, actionButton('retry', 'Retry', { 'aria-label': 'Ask again' }), rerouteControl(m))];
      case 'error': {
        const error = m.error ?? { text: 'Something went wrong.' };
        return [
          h(
            'div',
            { class: 'msg-error', 'data-testid': 'error', role: 'alert' },
            h('span', { class: 'error-text' }, error.text),
            h(
              'span',
              { class: 'msg-actions' },
              error.fix ? actionButton('fix', FIX_LABELS[error.fix], { 'data-fix': error.fix }) : undefined,
              actionButton('retry', 'Retry', { 'aria-label': 'Ask again' }),
              rerouteControl(m),
            ),
          ),
        ];
      }
      default: {
        const never: never = m.state;
        return [h('span', {}, String(never))];
      }
    }
  }
}

/** "Ask as…": the same question again, routed as another task (one choice, no typing). */
function rerouteControl(m: UiMessage): HTMLSelectElement {
  return h(
    'select',
    { class: 'reroute', 'data-testid': 'reroute', 'aria-label': 'Ask the same question again as another task', title: 'Ask the same question again as another task' },
    h('option', { value: '', selected: '' }, 'Ask as…'),
    ...TASK_TYPES.filter((t) => t !== m.task).map((t) => h('option', { value: t }, TASK_LABELS[t])),
  );
}

/** The answer's cost (or, without a price, its tokens), with the token counts on hover. */
function costPart(m: UiMessage): HTMLElement | undefined {
  if (!m.usage || m.state === 'streaming' || m.state === 'waiting') return undefined;
  const tokens = m.usage.promptTokens + m.usage.completionTokens;
  if (tokens === 0) return undefined;
  const approx = m.estimated ? '≈' : '';
  const text = m.cost !== undefined ? `${approx}${formatCost(m.cost)}` : `${approx}${formatCount(tokens)} tokens`;
  const detail = [
    `${formatCount(m.usage.promptTokens)} tokens in, ${formatCount(m.usage.completionTokens)} out`,
    m.cost !== undefined ? `cost ${formatCost(m.cost)}` : 'no price known for this model (add one in switchboard.prices)',
    m.estimated ? 'estimated: the gateway sent no token counts' : '',
  ].filter(Boolean);
  return h('span', { class: 'cost', 'data-testid': 'cost', title: detail.join(' · '), 'aria-label': `Cost: ${detail.join(', ')}` }, text);
}
