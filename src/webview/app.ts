/** The chat panel: banners, the message list, the pickers and the input, driven by host messages. */
import { TASK_LABELS, TASK_TYPES } from '../core/tasks';
import type { ContextChip, ConversationSummary, HostMessage, TaskChoice, UiMessage, ViewState } from '../protocol';
import { actionButton, h } from './dom';
import { isSafeHref } from './markdown';
import { MessageView } from './messageView';
import { readPersistedState, type VsCodeApi } from './vscode';

const DRAFT_DEBOUNCE_MS = 300;
/** The protocol's limits: a draft the host keeps, and a message it accepts. */
const MAX_DRAFT = 10_000;
const MAX_SEND = 200_000;
const STICK_PX = 32;
/** The model picker's last option: opens the searchable list of every model the gateway offers. */
const BROWSE = '__browse__';

function isTaskChoice(value: string): value is TaskChoice {
  return value === 'auto' || (TASK_TYPES as readonly string[]).includes(value);
}

export class ChatApp {
  private readonly views = new Map<string, MessageView>();
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly restricted: HTMLElement;
  private readonly noKey: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly taskPicker: HTMLSelectElement;
  private readonly modelPicker: HTMLSelectElement;
  private readonly chips: HTMLElement;
  private readonly historyPanel: HTMLElement;
  private readonly historyList: HTMLElement;
  private readonly historyToggle: HTMLButtonElement;
  private lastHistory: { current: { id: string; title: string } | undefined; past: ConversationSummary[] } = { current: undefined, past: [] };
  private busy = false;
  /** The model chosen (the select shows it again after "Browse all models…"). */
  private model = 'auto';
  private stick = true;
  private draftTimer: ReturnType<typeof setTimeout> | undefined;
  private sawSnapshot = false;
  private readonly hadLocalDraft: boolean;

  constructor(
    root: HTMLElement,
    private readonly api: VsCodeApi,
  ) {
    this.restricted = h(
      'div',
      { class: 'banner restricted', 'data-testid': 'restricted', role: 'status', hidden: true },
      'Restricted Mode: workspace settings are ignored until you trust this folder.',
    );
    this.noKey = h(
      'div',
      { class: 'banner no-key', 'data-testid': 'no-key', hidden: true },
      h('span', {}, 'No API key is set yet.'),
      actionButton('fix', 'Set API Key', { 'data-fix': 'setApiKey' }),
    );
    this.empty = h('div', { class: 'empty' }, 'Ask anything, or select code and run a Switchboard command. Each request goes to the model best suited to it.');
    this.list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });

    this.taskPicker = h(
      'select',
      { 'aria-label': 'Task', title: 'Task: decides which model answers' },
      h('option', { value: 'auto' }, 'Auto (routed)'),
      ...TASK_TYPES.map((t) => h('option', { value: t }, TASK_LABELS[t])),
    );
    this.modelPicker = h('select', { 'aria-label': 'Model', title: 'Model' }, h('option', { value: 'auto' }, 'Routed'));
    const newChat = h('button', { type: 'button', class: 'secondary', 'data-testid': 'new-chat', 'aria-label': 'New chat', title: 'New chat (this one stays in the history)' }, 'New chat');
    this.historyToggle = h(
      'button',
      { type: 'button', class: 'secondary', 'data-testid': 'history-toggle', 'aria-label': 'Conversation history', 'aria-expanded': 'false', 'aria-controls': 'history' },
      'History',
    );
    this.historyList = h('ul', { class: 'history-list', 'data-testid': 'history-list', 'aria-label': 'Conversations' });
    const closeHistory = h('button', { type: 'button', class: 'secondary', 'data-testid': 'history-close', 'aria-label': 'Back to the conversation' }, 'Back');
    this.historyPanel = h(
      'section',
      { class: 'history', id: 'history', 'data-testid': 'history', 'aria-label': 'Conversation history', hidden: true },
      h('div', { class: 'history-head' }, h('h2', {}, 'Conversations'), closeHistory),
      this.historyList,
    );

    this.input = h('textarea', {
      'data-testid': 'chat-input',
      'aria-label': 'Message Switchboard',
      placeholder: 'Ask Switchboard… (Enter to send, Shift+Enter for a new line)',
      rows: '1',
      maxlength: String(MAX_SEND),
    });
    this.send = h('button', { type: 'button', class: 'send', 'data-testid': 'send', 'aria-label': 'Send' }, 'Send');
    this.chips = h('div', { class: 'chips', 'data-testid': 'chips', role: 'list', 'aria-label': 'Context for the next question', hidden: true });
    const attach = h(
      'button',
      { type: 'button', class: 'attach secondary', 'data-testid': 'attach', 'aria-label': 'Attach the selection or a file to the next question', title: 'Attach the selection or a file (Ctrl+Alt+A in the editor)' },
      '+ Context',
    );
    this.stop = h('button', { type: 'button', class: 'stop secondary', 'data-testid': 'stop', 'aria-label': 'Stop the answer', hidden: true, disabled: true }, 'Stop');

    root.replaceChildren(
      h('div', { class: 'banners' }, this.restricted, this.noKey),
      this.historyPanel,
      this.empty,
      this.list,
      h(
        'div',
        { class: 'composer' },
        h('div', { class: 'pickers' }, this.taskPicker, this.modelPicker),
        // The conversation buttons share the context row, so a narrow sidebar keeps both pickers legible.
        h('div', { class: 'context-row' }, attach, this.chips, h('div', { class: 'conversation-buttons' }, this.historyToggle, newChat)),
        h('div', { class: 'input-row' }, this.input, h('div', { class: 'input-buttons' }, this.send, this.stop)),
      ),
    );

    const saved = readPersistedState(api.getState());
    this.hadLocalDraft = saved !== undefined;
    this.input.value = saved?.draft ?? '';

    // Links never navigate: the host opens them after asking. Capturing at the document covers them all.
    document.addEventListener('click', (e) => this.onClick(e), true);
    document.addEventListener('auxclick', (e) => {
      if ((e.target as Element | null)?.closest?.('a')) e.preventDefault();
    }, true);
    this.list.addEventListener('change', (e) => {
      const select = e.target instanceof HTMLSelectElement && e.target.dataset.testid === 'reroute' ? e.target : undefined;
      const id = select?.closest<HTMLElement>('[data-testid="message"]')?.dataset.id;
      const task = select?.value;
      if (!select || !id || !task || !isTaskChoice(task) || task === 'auto') return;
      select.value = '';
      this.api.postMessage({ type: 'reroute', id, task });
    });
    this.list.addEventListener('scroll', () => {
      this.stick = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < STICK_PX;
    }, { passive: true });
    this.input.addEventListener('input', () => this.saveDraft());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.send.addEventListener('click', () => this.submit());
    this.stop.addEventListener('click', () => this.api.postMessage({ type: 'stop' }));
    attach.addEventListener('click', () => this.api.postMessage({ type: 'attach' }));
    this.chips.addEventListener('click', (e) => {
      const remove = e.target instanceof Element ? e.target.closest<HTMLElement>('button[data-chip]') : null;
      if (!remove?.dataset.chip) return;
      this.api.postMessage({ type: 'removeChip', id: remove.dataset.chip });
      this.input.focus();
    });
    newChat.addEventListener('click', () => {
      this.toggleHistory(false);
      this.api.postMessage({ type: 'newChat' });
    });
    this.historyToggle.addEventListener('click', () => this.toggleHistory(this.historyPanel.hidden));
    closeHistory.addEventListener('click', () => this.toggleHistory(false));
    this.historyPanel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.toggleHistory(false);
      }
    });
    this.historyList.addEventListener('click', (e) => {
      const button = e.target instanceof Element ? e.target.closest<HTMLButtonElement>('button[data-conversation]') : null;
      const id = button?.dataset.conversation;
      const action = button?.dataset.conversationAction;
      if (!id || (action !== 'open' && action !== 'rename' && action !== 'delete')) return;
      if (action === 'open') this.toggleHistory(false);
      this.api.postMessage({ type: 'conversation', id, action });
    });
    this.taskPicker.addEventListener('change', () => this.postPick());
    this.modelPicker.addEventListener('change', () => {
      if (this.modelPicker.value === BROWSE) {
        this.modelPicker.value = this.model;
        this.api.postMessage({ type: 'pickModel' });
        return;
      }
      this.model = this.modelPicker.value;
      this.postPick();
    });
    // A draft typed just before the view closes still reaches the host.
    window.addEventListener('pagehide', () => this.flushDraft());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.flushDraft();
    });
    this.updateEmpty();
  }

  receive(message: HostMessage): void {
    switch (message.type) {
      case 'snapshot':
        return this.applySnapshot(message.state);
      case 'append':
      case 'update':
        return this.upsert(message.message);
      case 'delta': {
        const view = this.views.get(message.id);
        if (!view) {
          console.warn(`Switchboard: delta for an unknown message ${message.id}`);
          return;
        }
        view.delta(message.text);
        return;
      }
      case 'reasoning':
        this.views.get(message.id)?.reasoning(message.text);
        return;
      case 'busy':
        return this.setBusy(message.busy);
      case 'chips':
        return this.showChips(message.chips);
      case 'focusInput':
        this.input.focus();
        return;
      case 'history':
        return this.showHistory(message.conversation, message.history);
      case 'showHistory':
        return this.toggleHistory(true);
      default: {
        const never: never = message;
        console.warn('Switchboard: unhandled message', never);
      }
    }
  }

  private applySnapshot(state: ViewState): void {
    this.restricted.hidden = !state.restricted;
    this.noKey.hidden = state.hasKey;
    const models = ['auto', ...state.models.filter((m) => m !== 'auto')];
    if (!models.includes(state.model)) models.push(state.model);
    this.modelPicker.replaceChildren(
      ...models.map((m) => h('option', { value: m }, m === 'auto' ? 'Routed' : m)),
      h('option', { value: BROWSE, 'data-testid': 'browse-models' }, 'Browse all models…'),
    );
    this.modelPicker.value = state.model;
    this.model = state.model;
    this.taskPicker.value = state.task;
    this.setBusy(state.busy);
    this.showChips(state.chips);

    // Reuse the views of messages we already show: a re-sent snapshot does not re-render long answers.
    const keep = new Set(state.messages.map((m) => m.id));
    for (const [id, view] of this.views) {
      if (!keep.has(id)) {
        view.dispose();
        this.views.delete(id);
      }
    }
    const elements = state.messages.map((m) => this.viewFor(m).el);
    this.list.replaceChildren(...elements);
    this.updateEmpty();
    this.showHistory(state.conversation, state.history);

    // The draft: what this view saved locally is the freshest; else the host's copy (after a restart).
    if (!this.sawSnapshot && !this.hadLocalDraft && this.input.value === '' && state.draft) {
      this.input.value = state.draft;
      this.api.setState({ draft: state.draft });
    }
    this.sawSnapshot = true;
    this.stick = true;
    this.scrollToBottom();
  }

  private viewFor(message: UiMessage): MessageView {
    let view = this.views.get(message.id);
    if (view && view.role !== message.role) {
      view.dispose();
      view = undefined;
    }
    if (view) {
      view.update(message);
    } else {
      view = new MessageView(message, () => this.scrollToBottom());
      this.views.set(message.id, view);
    }
    return view;
  }

  private upsert(message: UiMessage): void {
    const existed = this.views.get(message.id);
    const view = this.viewFor(message);
    if (existed !== view) {
      if (existed) existed.el.replaceWith(view.el);
      else this.list.append(view.el);
    }
    this.updateEmpty();
    this.scrollToBottom();
  }

  private showChips(chips: ContextChip[]): void {
    this.chips.replaceChildren(
      ...chips.map((c) =>
        h(
          'span',
          { class: 'chip', 'data-testid': 'context-chip', role: 'listitem', title: c.title },
          h('span', { class: 'chip-label' }, c.label),
          h('button', { type: 'button', class: 'chip-remove', 'data-chip': c.id, 'aria-label': `Remove ${c.label}`, title: `Remove ${c.label}` }, '×'),
        ),
      ),
    );
    this.chips.hidden = chips.length === 0;
  }

  /** The list of conversations: the current one first, then the past ones, newest first. */
  private showHistory(current: { id: string; title: string } | undefined, past: ConversationSummary[]): void {
    this.lastHistory = { current, past };
    const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    const row = (id: string, title: string, meta: string, isCurrent: boolean) =>
      h(
        'li',
        { class: `history-item${isCurrent ? ' current' : ''}`, 'data-testid': 'history-item', 'data-id': id },
        h(
          'button',
          { type: 'button', class: 'history-open', 'data-conversation': id, 'data-conversation-action': 'open', title: isCurrent ? 'The conversation shown now' : `Reopen “${title}”`, ...(isCurrent ? { 'aria-current': 'true' } : {}) },
          h('span', { class: 'history-title', 'data-testid': 'history-title' }, title),
          h('span', { class: 'history-meta' }, meta),
        ),
        h('button', { type: 'button', class: 'secondary', 'data-conversation': id, 'data-conversation-action': 'rename', 'aria-label': `Rename “${title}”`, 'data-testid': 'history-rename' }, 'Rename'),
        h('button', { type: 'button', class: 'secondary', 'data-conversation': id, 'data-conversation-action': 'delete', 'aria-label': `Delete “${title}”`, 'data-testid': 'history-delete' }, 'Delete'),
      );
    const rows = past.map((c) => row(c.id, c.title, `${when(c.updatedAt)} · ${c.count} message${c.count === 1 ? '' : 's'}`, false));
    if (current && this.views.size > 0) rows.unshift(row(current.id, current.title, 'current', true));
    this.historyList.replaceChildren(...(rows.length ? rows : [h('li', { class: 'history-empty' }, 'No past conversations yet. New chat keeps the current one here.')]));
  }

  private toggleHistory(show: boolean): void {
    this.historyPanel.hidden = !show;
    this.historyToggle.setAttribute('aria-expanded', String(show));
    this.list.hidden = show;
    if (show) {
      this.empty.hidden = true;
      // The current conversation may have begun since the list was drawn.
      this.showHistory(this.lastHistory.current, this.lastHistory.past);
      this.historyList.querySelector<HTMLButtonElement>('button')?.focus();
    } else {
      this.updateEmpty();
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.stop.hidden = !busy;
    this.stop.disabled = !busy;
    document.body.classList.toggle('busy', busy);
  }

  private updateEmpty(): void {
    this.empty.hidden = this.views.size > 0 || !this.historyPanel.hidden;
  }

  private scrollToBottom(): void {
    if (this.stick) this.list.scrollTop = this.list.scrollHeight;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape' && this.busy) {
      e.preventDefault();
      this.api.postMessage({ type: 'stop' });
    }
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    const task = this.taskPicker.value;
    this.api.postMessage({ type: 'send', text: text.slice(0, MAX_SEND), task: isTaskChoice(task) ? task : 'auto', model: this.modelPicker.value });
    this.input.value = '';
    // The host clears its copy of the draft when it receives `send`.
    if (this.draftTimer) clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    this.api.setState({ draft: '' });
    this.stick = true;
  }

  private postPick(): void {
    const task = this.taskPicker.value;
    this.api.postMessage({ type: 'pick', task: isTaskChoice(task) ? task : 'auto', model: this.modelPicker.value });
  }

  private saveDraft(): void {
    this.api.setState({ draft: this.input.value });
    if (this.draftTimer) clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.flushDraft(), DRAFT_DEBOUNCE_MS);
  }

  private flushDraft(): void {
    if (!this.draftTimer) return;
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    this.api.postMessage({ type: 'draft', text: this.input.value.slice(0, MAX_DRAFT) });
  }

  private onClick(e: MouseEvent): void {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    const link = target.closest('a');
    if (link) {
      e.preventDefault();
      const href = link.getAttribute('href');
      if (isSafeHref(href)) this.api.postMessage({ type: 'openLink', href: href.trim() });
      return;
    }
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    if (!button) return;
    const id = button.closest<HTMLElement>('[data-testid="message"]')?.dataset.id;
    switch (button.dataset.action) {
      case 'copy':
      case 'insert': {
        const code = button.closest('.code-block')?.querySelector('code')?.textContent ?? '';
        this.api.postMessage({ type: button.dataset.action, text: code });
        return;
      }
      case 'fix': {
        const fix = button.dataset.fix;
        if (fix === 'setApiKey' || fix === 'openSettings') this.api.postMessage({ type: 'fix', fix });
        return;
      }
      case 'retry':
        if (id) this.api.postMessage({ type: 'retry', id });
        return;
      case 'replace':
        if (id) this.api.postMessage({ type: 'replaceComment', id });
        return;
      case 'proposal': {
        const step = button.closest<HTMLElement>('[data-step]')?.dataset.step;
        const decision = button.dataset.decision;
        if (id && step && (decision === 'apply' || decision === 'reject' || decision === 'show')) this.api.postMessage({ type: 'proposal', id, step, decision });
        return;
      }
      default:
        console.warn(`Switchboard: unknown action ${button.dataset.action}`);
    }
  }
}
