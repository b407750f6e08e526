import * as vscode from 'vscode';
import type { TaskGuess } from '../core/routing/classify';
import { estimateComplexity } from '../core/routing/complexity';
import { AnswerCost, type AnswerUsage, type Pricing } from '../core/usage/ledger';
import type { Router, RouterEvent } from '../core/router';
import { clip } from '../core/errors';
import type { LoopEvent } from '../core/tools/loop';
import type { ToolLoop } from './lazyTools';
import type { ProposalDecisions } from './proposals';
import { TASK_LABELS, buildPrompt, fence, forTask, promptText, type ChatMessage, type TaskType } from '../core/tasks';
import type { ContextChip, ConversationSummary, HostMessage, TaskChoice, UiMessage, ViewState } from '../protocol';
import { UiMessage as UiMessageSchema } from '../protocol';
import { ConversationHistory, clipTitle, titleFrom, type ConversationMeta } from '../core/history';
import { Disposable } from './lifecycle';
import type { Log } from './log';

const STORE = 'switchboard.chat.v1';
const MAX_STORED_MESSAGES = 200;
/** Chips on one question at most; attaching one more lets the oldest go. */
const MAX_CHIPS = 8;

/** Editor context for the next question: the chip the user sees, and the text that goes with the question. */
export interface Attachment {
  /** `src/a.ts:3-8` or `src/a.ts`. */
  label: string;
  title: string;
  /** Workspace-relative path. */
  path: string;
  /** `3-8`, for a selection. */
  lines?: string;
  languageId?: string;
  /** Already trimmed and secret-checked. */
  text: string;
}

type StoredChip = ContextChip & Attachment;

export interface AskOptions {
  /** What the chat shows as the user's turn. */
  display: string;
  /** The prompt actually sent; defaults to the history plus `display`. */
  prompt?: ChatMessage[];
  task?: TaskType;
  taskReason?: string;
  /** Auto routing's confidence in `task`. */
  confidence?: number;
  model?: string;
  /** Called with the answer's text when the user clicks "Replace comment". */
  replace?: (answer: string) => Promise<void>;
  /** Let the model call editor tools (chat questions; where the workspace and settings allow). */
  tools?: boolean;
  /** Labels of the context chips sent with the question, shown on the user's turn. */
  chips?: string[];
}

interface Stored {
  messages: UiMessage[];
  draft: string;
  task: TaskChoice;
  model: string;
  chips: StoredChip[];
  /** The current conversation's id, when it began, and its title once the user renamed it. */
  conversation?: { id: string; createdAt: number; title?: string };
}

interface Running {
  id: string;
  controller: AbortController;
}

/** What an answer costs: prices, a token counter for gateways that send no usage, and the ledger. */
export interface Meter extends Pricing {
  record(answer: AnswerUsage): void;
  /** Before a request is sent: false when the user declined it (the daily budget). */
  allow(request: { model: string; messages: ChatMessage[]; maxTokens: number }): Promise<boolean>;
}

/** Per answer, while it runs: its prompt, its cost so far, and where its tool steps are. */
interface Tally {
  prompt: ChatMessage[];
  cost: AnswerCost;
  /** Length of the reasoning before this tool step: a failover within the step starts over from here. */
  reasoningMark: number;
  /** Tool call id → the step's id in the answer. */
  steps: Map<string, string>;
}

/**
 * The conversation: the single source of truth the chat view renders. It persists itself, runs
 * requests through the router and turns router events into protocol messages.
 */
export class ChatSession extends Disposable {
  private readonly posted = this._register(new vscode.EventEmitter<HostMessage>());
  /** Protocol messages for the view (snapshot on show, then deltas). */
  readonly onPost = this.posted.event;
  private readonly busyChanged = this._register(new vscode.EventEmitter<{ busy: boolean; model?: string }>());
  readonly onBusy = this.busyChanged.event;

  private messages: UiMessage[];
  private draft: string;
  private task: TaskChoice;
  private model: string;
  private chips: StoredChip[];
  private conversation: { id: string; createdAt: number; title?: string };
  private running: Running | undefined;
  private readonly prompts = new Map<string, AskOptions>();
  /** `answer/step` → the proposal waiting for the user's decision. */
  private readonly proposalOf = new Map<string, string>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly router: () => Router | undefined,
    private readonly ensureKey: () => Promise<boolean>,
    private readonly log: Log,
    private readonly env: () => { restricted: boolean; hasKey: boolean; models: string[] },
    private readonly classify: (text: string) => TaskGuess,
    private readonly meter: Meter,
    private readonly past: ConversationHistory<UiMessage>,
    private readonly toolLoop?: ToolLoop,
    private readonly proposals?: ProposalDecisions,
  ) {
    super();
    // A proposed edit waits for the user: the running propose_edit step of the running answer shows it.
    if (proposals) {
      this._register(
        proposals.onDidPropose(({ id, name }) => {
          const answer = this.messages.find((m) => m.id === this.running?.id);
          const step = answer?.tools?.findLast((t) => t.name === 'propose_edit' && t.state === 'running');
          if (!answer || !step) return;
          Object.assign(step, { state: 'waiting', summary: `waiting for you: apply or reject the edit to ${name}` });
          this.proposalOf.set(`${answer.id}/${step.id}`, id);
          this.update(answer);
        }),
      );
    }
    const stored = this.load();
    this.messages = stored.messages;
    this.draft = stored.draft;
    this.task = stored.task;
    this.model = stored.model;
    this.chips = stored.chips;
    this.conversation = stored.conversation ?? this.freshConversation();
    this._register({ dispose: () => this.flushSave() });
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  state(): ViewState {
    const env = this.env();
    return {
      messages: this.messages,
      draft: this.draft,
      task: this.task,
      model: this.model,
      models: env.models,
      restricted: env.restricted,
      busy: this.busy,
      hasKey: env.hasKey,
      chips: this.chips.map(({ id, label, title }) => ({ id, label, title })),
      ...this.historyState(),
    };
  }

  /** The current conversation (id and title) and the past ones, newest first. */
  private historyState(): { conversation: { id: string; title: string }; history: ConversationSummary[] } {
    return { conversation: { id: this.conversation.id, title: this.currentTitle() }, history: this.past.list() };
  }

  private currentTitle(): string {
    return this.conversation.title ?? titleFrom(this.messages);
  }

  private freshConversation(): { id: string; createdAt: number } {
    return { id: `c${Date.now().toString(36)}${(this.seq++).toString(36)}`, createdAt: Date.now() };
  }

  /**
   * The current conversation goes into the history (when it has anything in it). The history has it
   * as soon as this is called; the promise is the write to globalState.
   */
  private async archive(): Promise<void> {
    if (!this.messages.length) return;
    const meta: ConversationMeta = { id: this.conversation.id, title: this.currentTitle(), createdAt: this.conversation.createdAt, updatedAt: Date.now() };
    await this.past.put({ ...meta, messages: this.messages });
  }

  private postHistory(): void {
    this.posted.fire({ type: 'history', ...this.historyState() });
  }

  /** Makes a past conversation the current one; the current one goes into the history. */
  async openConversation(id: string): Promise<void> {
    if (id === this.conversation.id) return;
    const found = this.past.get(id);
    if (!found) return;
    this.stop();
    // The history changes in memory at once; only the writes are awaited, after the view has the new state,
    // so a question asked meanwhile lands in the conversation it was asked in.
    const writes = Promise.all([this.archive(), this.past.take(id)]);
    this.messages = found.messages;
    this.conversation = { id: found.id, createdAt: found.createdAt, title: found.title === titleFrom(found.messages) ? undefined : found.title };
    this.prompts.clear();
    this.save(true);
    this.publish();
    await writes;
  }

  async renameConversation(id: string, title: string): Promise<void> {
    const clipped = clipTitle(title);
    if (!clipped) return;
    if (id === this.conversation.id) {
      this.conversation.title = clipped;
      this.save(true);
    } else if (!(await this.past.rename(id, clipped))) return;
    this.postHistory();
  }

  async deleteConversation(id: string): Promise<void> {
    if (id === this.conversation.id) {
      this.stop();
      this.messages = [];
      this.prompts.clear();
      this.conversation = this.freshConversation();
      this.save(true);
      this.publish();
      return;
    }
    if (await this.past.take(id)) this.postHistory();
  }

  /** Asks the view to show the list of past conversations. */
  showHistory(): void {
    this.posted.fire({ type: 'showHistory' });
  }

  /** The title a conversation shows in the history (the current one included). */
  titleOf(id: string): string | undefined {
    return id === this.conversation.id ? this.currentTitle() : this.past.get(id)?.title;
  }

  /** Sends the current state (after a view is created, or after settings change). */
  publish(): void {
    this.posted.fire({ type: 'snapshot', state: this.state() });
  }

  setDraft(text: string): void {
    this.draft = text;
    this.save();
  }

  pick(task: TaskChoice, model: string): void {
    this.task = task;
    this.model = model;
    this.save();
  }

  /** Starts an empty conversation; the current one is kept in the history. */
  async newChat(): Promise<void> {
    this.stop();
    // As for openConversation: the swap is immediate, the history's write is awaited after.
    const archived = this.archive();
    this.messages = [];
    this.prompts.clear();
    this.conversation = this.freshConversation();
    this.save(true);
    this.publish();
    await archived;
  }

  stop(): void {
    this.running?.controller.abort();
  }

  /** Adds a chip for the next question; the same selection or file attached again replaces its chip. */
  attach(a: Attachment): void {
    this.chips = this.chips.filter((c) => c.label !== a.label);
    this.chips.push({ ...a, id: `c${Date.now().toString(36)}${(this.seq++).toString(36)}` });
    if (this.chips.length > MAX_CHIPS) this.chips.splice(0, this.chips.length - MAX_CHIPS);
    this.postChips();
  }

  removeChip(id: string): void {
    this.chips = this.chips.filter((c) => c.id !== id);
    this.postChips();
  }

  private postChips(): void {
    this.posted.fire({ type: 'chips', chips: this.state().chips });
    this.save(true);
  }

  /** A message typed into the chat: routed by the picker, or classified from its text. */
  async send(text: string, task: TaskChoice, model: string): Promise<void> {
    this.pick(task, model);
    this.draft = '';
    // The chips go with this question (and are gone from the input once it is sent).
    const chips = this.chips;
    if (chips.length) {
      this.chips = [];
      this.postChips();
    }
    const context = chips.map((c) => `${c.path}${c.lines ? ` (lines ${c.lines})` : ''}:\n${fence(c.text, c.languageId)}`).join('\n\n');
    const instruction = chips.length ? `Context from the editor:\n\n${context}\n\n${text}` : text;
    // Attached code counts as a signal for Auto routing, as pasted code does.
    const guess = task === 'auto' ? this.classify(instruction) : undefined;
    if (guess) this.log.info(`auto routing: ${guess.best} ${(guess.confidence * 100).toFixed(0)}% (${guess.reason})${guess.unsure ? ' → general_qa' : ''}`);
    await this.ask({
      display: text,
      prompt: buildPrompt('chat', { instruction, history: this.history(this.messages) }),
      task: guess?.task ?? (task as TaskType),
      taskReason: guess?.reason ?? 'chosen in the task picker',
      confidence: guess && !guess.unsure ? guess.confidence : undefined,
      model: model === 'auto' ? undefined : model,
      tools: true,
      ...(chips.length ? { chips: chips.map((c) => c.label) } : {}),
    });
  }

  /** Asks the question behind an answer again, routed as another task; the first answer stays. */
  async reroute(id: string, task: TaskType): Promise<void> {
    const at = this.messages.findIndex((m) => m.id === id);
    const answer = this.messages[at];
    const options = this.prompts.get(id);
    const question = this.messages.slice(0, at).reverse().find((m) => m.role === 'user');
    if (!answer || (!options && !question)) return;
    const from = answer.task ? TASK_LABELS[answer.task] : 'Auto';
    this.log.info(`[${id}] re-routed by the user: ${answer.task ?? 'auto'} → ${task}`);
    await this.ask({
      display: options?.display ?? question!.text,
      prompt: options?.prompt ?? buildPrompt('chat', { instruction: question!.text, history: this.history(this.messages.slice(0, this.messages.indexOf(question!))) }),
      task,
      taskReason: `re-routed from ${from}`,
      model: options?.model,
      tools: options?.tools ?? true,
    });
  }

  /** Earlier turns worth sending as context: finished answers and the questions behind them. */
  private history(messages: UiMessage[]): ChatMessage[] {
    return messages
      .filter((m) => m.state === 'done' || (m.role === 'user' && m.state !== 'error'))
      .slice(-20)
      .map<ChatMessage>((m) => ({ role: m.role, content: m.chips?.length ? `${m.chips.map((c) => `[attached: ${c}]`).join(' ')}\n${m.text}` : m.text }));
  }

  /** Adds the user's turn and streams the routed answer into the conversation. */
  async ask(options: AskOptions): Promise<void> {
    if (this.running) this.stop();
    this.add({ id: this.newId(), role: 'user', text: options.display, state: 'done', failovers: [], ...(options.chips ? { chips: options.chips } : {}) });
    const answer = this.add({
      id: this.newId(),
      role: 'assistant',
      text: '',
      state: 'streaming',
      failovers: [],
      task: options.task,
      taskReason: options.taskReason,
      confidence: options.confidence,
      ...(options.replace ? { replaceable: true } : {}),
    });
    this.prompts.set(answer.id, options);
    await this.run(answer, options);
  }

  /** Asks again for a failed or stopped answer, in place. */
  async retry(id: string): Promise<void> {
    const options = this.prompts.get(id);
    const message = this.messages.find((m) => m.id === id);
    if (!options || !message) {
      void vscode.window.showInformationMessage('Switchboard: this answer was restored from an earlier session; send the question again to retry.');
      return;
    }
    if (this.running) this.stop();
    Object.assign(message, { text: '', state: 'streaming', failovers: [], error: undefined, notice: undefined, model: undefined, models: undefined, hedge: undefined, reasoning: undefined, tools: undefined });
    this.update(message);
    await this.run(message, options);
  }

  /** An answer that came from elsewhere (batch work), added to the conversation as it is. */
  addAnswer(entry: { display: string; text: string; model: string; task: TaskType; notice: string }): void {
    this.add({ id: this.newId(), role: 'user', text: entry.display, state: 'done', failovers: [] });
    this.add({ id: this.newId(), role: 'assistant', text: entry.text, model: entry.model, task: entry.task, taskReason: 'from Review Changed Files', state: 'done', failovers: [], notice: entry.notice });
    this.save(true);
  }

  /** A question from elsewhere in the editor (a finding's quick fix), asked in the chat with tools. */
  async discuss(entry: { display: string; instruction: string; task: TaskType }): Promise<void> {
    await this.ask({
      display: entry.display,
      prompt: buildPrompt('chat', { instruction: entry.instruction, history: this.history(this.messages) }),
      task: entry.task,
      taskReason: 'from a Problems panel finding',
      tools: true,
    });
  }

  /** Apply, Reject or Show Diff on a proposed edit's tool step. */
  async decideProposal(id: string, step: string, decision: 'apply' | 'reject' | 'show'): Promise<void> {
    const proposal = this.proposalOf.get(`${id}/${step}`);
    if (!this.proposals || !proposal) return;
    if (decision === 'show') await this.proposals.show(proposal);
    else await this.proposals.decide(proposal, decision === 'apply');
  }

  async replaceComment(id: string): Promise<void> {
    const options = this.prompts.get(id);
    const message = this.messages.find((m) => m.id === id);
    if (!options?.replace || !message) return;
    await options.replace(message.text);
  }

  private async run(answer: UiMessage, options: AskOptions): Promise<void> {
    if (!(await this.ensureKey())) {
      this.fail(answer, 'No API key is set. Set one to send requests.', 'setApiKey');
      return;
    }
    const router = this.router();
    if (!router) {
      this.fail(answer, 'Switchboard is not configured: check switchboard.baseUrl in your user settings.', 'openSettings');
      return;
    }
    const task = options.task ?? 'general_qa';
    const prompt = forTask(options.prompt ?? [{ role: 'user', content: options.display }], task);
    const complexity = estimateComplexity({ task, text: options.display, historyTurns: prompt.filter((m) => m.role !== 'system').length - 1 });
    const route = router.route({ task, model: options.model, complexity });
    if (answer.routeNote !== route.note) {
      answer.routeNote = route.note;
      this.update(answer);
    }
    const first = route.candidates[0];
    if (first && !(await this.meter.allow({ model: first.model, messages: prompt, maxTokens: first.maxTokens }))) {
      this.log.info(`[${answer.id}] not sent: the daily budget`);
      this.fail(answer, 'Not sent: the daily budget (switchboard.dailyBudget) would be exceeded. Retry asks again.', 'openSettings');
      this.save(true);
      return;
    }
    const controller = new AbortController();
    this.running = { id: answer.id, controller };
    this.busyChanged.fire({ busy: true });
    this.posted.fire({ type: 'busy', busy: true });
    this.log.info(`[${answer.id}] ${task} (${complexity.level}: ${complexity.reasons.join(', ') || 'nothing notable'}) → ${route.candidates.map((c) => c.model).join(' → ')}${route.note ? ` [${route.note}]` : ''}${route.moved?.length ? ` [health: ${route.moved.join('; ')}]` : ''}`);
    const tally: Tally = { prompt, cost: new AnswerCost(this.meter), reasoningMark: 0, steps: new Map() };
    // Interactive work may be hedged; the plan is the one logged above (a pool's choice included).
    const request = { task, messages: prompt, model: options.model, complexity, hedge: true, plan: route };
    try {
      const events = options.tools && this.toolLoop ? this.toolLoop(router, request, controller.signal) : router.run(request, controller.signal);
      for await (const event of events) {
        this.apply(answer, event, tally);
      }
    } catch (err) {
      // The router ends every run with done or error; reaching here is a bug worth a clear line.
      this.log.error(`[${answer.id}] unexpected failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      this.fail(answer, `Unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (this.running?.id === answer.id) this.running = undefined;
      this.busyChanged.fire({ busy: this.busy, model: answer.model });
      this.posted.fire({ type: 'busy', busy: this.busy });
      this.save(true);
    }
  }

  private apply(answer: UiMessage, event: LoopEvent, tally: Tally): void {
    switch (event.type) {
      case 'start':
        answer.state = 'streaming';
        answer.notice = undefined;
        // The Thinking section belongs to the model that answers: a fresh attempt starts this step's over.
        if (!event.continuing && answer.reasoning !== undefined) answer.reasoning = answer.reasoning.slice(0, tally.reasoningMark) || undefined;
        this.update(answer);
        return;
      case 'step':
        tally.reasoningMark = answer.reasoning?.length ?? 0;
        return;
      case 'tool_start': {
        const id = `t${(answer.tools?.length ?? 0) + 1}`;
        tally.steps.set(event.call.id, id);
        answer.tools = [...(answer.tools ?? []), { id, name: clip(event.call.name, 100), args: clip(event.call.arguments, 2000), state: 'running' }];
        this.update(answer);
        return;
      }
      case 'tool_end': {
        const id = tally.steps.get(event.call.id);
        const step = answer.tools?.find((t) => t.id === id);
        this.log.info(`[${answer.id}] tool ${event.call.name} ${clip(event.call.arguments, 200)} → ${event.result.summary}`);
        if (!step) return;
        this.proposalOf.delete(`${answer.id}/${step.id}`);
        Object.assign(step, { state: event.result.isError ? 'error' : 'done', summary: clip(event.result.summary, 500), detail: event.result.content.length > 4000 ? `${event.result.content.slice(0, 3999)}…` : event.result.content });
        this.update(answer);
        return;
      }
      case 'reasoning':
        answer.reasoning = (answer.reasoning ?? '') + event.text;
        this.posted.fire({ type: 'reasoning', id: answer.id, text: event.text });
        this.save();
        return;
      case 'delta':
        answer.text += event.text;
        if (answer.model !== event.model || answer.notice) {
          answer.model = event.model;
          // A notice about getting an answer ("… is asked too") is over once the answer streams.
          answer.notice = undefined;
          this.update(answer);
        } else {
          this.posted.fire({ type: 'delta', id: answer.id, text: event.text });
        }
        this.save();
        return;
      case 'failover':
        answer.failovers.push({ from: event.from, to: event.to, summary: event.summary });
        this.update(answer);
        return;
      case 'hedge':
        answer.notice = `${event.from} is slow to start; ${event.to} is asked too, and the first to answer wins.`;
        this.log.info(`[${answer.id}] hedge: ${event.from} sent nothing for ${event.afterMs} ms; ${event.to} starts too`);
        this.update(answer);
        return;
      case 'waiting':
        answer.state = 'waiting';
        answer.notice = event.userText;
        this.update(answer);
        return;
      case 'usage':
        tally.cost.add(event.model, event.usage);
        return;
      case 'done': {
        this.log.attempts(answer.id, event.attempts);
        // A gateway that sends no usage chunk: count the tokens ourselves, and say they are estimated.
        const { usage, cost, estimated } = tally.cost.settle(event.model, event.usage, promptText(tally.prompt), event.text);
        Object.assign(answer, {
          state: event.cancelled ? 'cancelled' : 'done',
          model: event.model,
          models: event.models.length > 1 ? event.models : undefined,
          hedge: event.hedge,
          usage,
          cost,
          estimated: estimated || undefined,
          notice:
            event.finishReason === 'length'
              ? 'The answer reached its max tokens.'
              : event.finishReason === 'step_limit'
                ? 'Stopped: the model kept calling tools past the step limit.'
                : undefined,
        });
        if (event.text || usage.completionTokens > 0) this.meter.record({ model: event.model, usage, cost, estimated, failovers: answer.failovers.length });
        this.update(answer);
        return;
      }
      case 'error':
        this.log.attempts(answer.id, event.attempts);
        this.log.warn(`[${answer.id}] ${event.reason}: ${event.userText}`);
        this.fail(answer, event.userText, event.fix);
        return;
      default: {
        const never: never = event;
        this.log.warn(`unknown router event ${JSON.stringify(never)}`);
      }
    }
  }

  private fail(answer: UiMessage, text: string, fix?: 'setApiKey' | 'openSettings'): void {
    answer.state = 'error';
    answer.notice = undefined;
    answer.error = { text, ...(fix ? { fix } : {}) };
    this.update(answer);
  }

  private add(message: UiMessage): UiMessage {
    this.messages.push(message);
    if (this.messages.length > MAX_STORED_MESSAGES) this.messages.splice(0, this.messages.length - MAX_STORED_MESSAGES);
    this.posted.fire({ type: 'append', message });
    this.save();
    return message;
  }

  private update(message: UiMessage): void {
    // An answer stopped by New chat or by opening another conversation still ends: not in this one.
    if (!this.messages.includes(message)) return;
    this.posted.fire({ type: 'update', message });
    this.save();
  }

  private newId(): string {
    return `m${Date.now().toString(36)}${(this.seq++).toString(36)}`;
  }

  private load(): Stored {
    const raw = this.memento.get<Partial<Stored>>(STORE);
    const messages = (Array.isArray(raw?.messages) ? raw.messages : []).flatMap((m) => restoreMessage(m) ?? []);
    const c = raw?.conversation;
    return {
      messages,
      draft: typeof raw?.draft === 'string' ? raw.draft : '',
      task: typeof raw?.task === 'string' ? (raw.task as TaskChoice) : 'auto',
      model: typeof raw?.model === 'string' ? raw.model : 'auto',
      chips: (Array.isArray(raw?.chips) ? raw.chips : []).filter(isStoredChip),
      ...(c && typeof c.id === 'string' && typeof c.createdAt === 'number'
        ? { conversation: { id: c.id, createdAt: c.createdAt, ...(typeof c.title === 'string' && c.title ? { title: c.title } : {}) } }
        : {}),
    };
  }

  /** Persists at most once a second while streaming; `now` writes at once (end of an answer, new chat). */
  private save(now = false): void {
    if (now) {
      this.flushSave();
      return;
    }
    this.saveTimer ??= setTimeout(() => this.flushSave(), 1000);
  }

  private flushSave(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const stored: Stored = { messages: this.messages, draft: this.draft, task: this.task, model: this.model, chips: this.chips, conversation: this.conversation };
    this.memento.update(STORE, stored).then(undefined, (err) => this.log.error(`could not save the chat: ${String(err)}`));
  }
}

/**
 * A stored message as the chat can show it again, or undefined when it is not one. An answer that was
 * streaming when VS Code closed is kept, marked as interrupted, and so is a tool step that was running.
 */
export function restoreMessage(m: unknown): UiMessage | undefined {
  const parsed = UiMessageSchema.safeParse(m);
  if (!parsed.success) return undefined;
  const message = parsed.data;
  if (message.state === 'streaming' || message.state === 'waiting') {
    message.state = 'cancelled';
    message.notice = 'Interrupted when the window closed.';
  }
  for (const step of message.tools ?? []) {
    if (step.state === 'running' || step.state === 'waiting') Object.assign(step, { state: 'error', summary: 'interrupted when the window closed; nothing was changed' });
  }
  return message;
}

function isStoredChip(c: unknown): c is StoredChip {
  const x = c as Partial<StoredChip> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    [x.id, x.label, x.title, x.path, x.text].every((v) => typeof v === 'string') &&
    (x.lines === undefined || typeof x.lines === 'string') &&
    (x.languageId === undefined || typeof x.languageId === 'string')
  );
}
