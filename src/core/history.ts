/**
 * Past conversations of the chat: the ones the user moved away from (New chat, or opening another),
 * kept newest first within bounds so globalState stays small: at most MAX_CONVERSATIONS, each with at
 * most its last MAX_MESSAGES messages, and at most MAX_TOTAL_CHARS of text over all of them (the
 * oldest conversations go first). Messages are opaque here; the host validates them when reading.
 */

export const MAX_CONVERSATIONS = 50;
export const MAX_MESSAGES = 200;
export const MAX_TOTAL_CHARS = 4_000_000;
export const MAX_TITLE = 80;

export interface ConversationMeta {
  id: string;
  /** From the first question, unless the user renamed it. */
  title: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface Conversation<M> extends ConversationMeta {
  messages: M[];
}

export interface ConversationSummary extends ConversationMeta {
  /** Messages in it (questions and answers). */
  count: number;
}

export interface HistoryStore<M> {
  read(): unknown;
  write(value: Conversation<M>[]): Thenable<void> | void;
}

/** A title from the first question: its first line, whitespace collapsed, clipped at a word. */
export function titleFrom(messages: ReadonlyArray<{ role: string; text: string }>): string {
  const first = messages.find((m) => m.role === 'user' && m.text.trim())?.text ?? '';
  return clipTitle(first.split('\n').find((l) => l.trim()) ?? '') || 'Untitled conversation';
}

export function clipTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= MAX_TITLE) return line;
  const cut = line.slice(0, MAX_TITLE - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > MAX_TITLE / 2 ? cut.slice(0, space) : cut}…`;
}

const chars = (c: Conversation<unknown>) => JSON.stringify(c.messages).length;

export class ConversationHistory<M> {
  private loaded: Conversation<M>[] | undefined;

  /**
   * `valid` keeps a stored message (and may repair it); anything else stored is dropped. The store is
   * read on first use (the chat view's first snapshot), not at activation: it can hold megabytes.
   */
  constructor(
    private readonly store: HistoryStore<M>,
    private readonly valid: (message: unknown) => M | undefined,
  ) {}

  private get items(): Conversation<M>[] {
    this.loaded ??= this.read();
    return this.loaded;
  }

  private set items(items: Conversation<M>[]) {
    this.loaded = items;
  }

  private read(): Conversation<M>[] {
    const valid = this.valid;
    const raw = this.store.read();
    const items = (Array.isArray(raw) ? raw : []).flatMap((c: unknown) => {
      const x = c as Partial<Conversation<unknown>> | null;
      if (typeof x !== 'object' || x === null || typeof x.id !== 'string' || typeof x.title !== 'string') return [];
      if (typeof x.createdAt !== 'number' || typeof x.updatedAt !== 'number' || !Array.isArray(x.messages)) return [];
      const messages = x.messages.flatMap((m) => {
        const ok = valid(m);
        return ok === undefined ? [] : [ok];
      });
      return messages.length ? [{ id: x.id, title: clipTitle(x.title) || 'Untitled conversation', createdAt: x.createdAt, updatedAt: x.updatedAt, messages }] : [];
    });
    return items.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  list(): ConversationSummary[] {
    return this.items.map(({ id, title, createdAt, updatedAt, messages }) => ({ id, title, createdAt, updatedAt, count: messages.length }));
  }

  get(id: string): Conversation<M> | undefined {
    return this.items.find((c) => c.id === id);
  }

  /** Adds or replaces a conversation (newest first), then trims the history to its bounds. */
  async put(conversation: Conversation<M>): Promise<void> {
    const kept = { ...conversation, title: clipTitle(conversation.title) || 'Untitled conversation', messages: conversation.messages.slice(-MAX_MESSAGES) };
    this.items = [kept, ...this.items.filter((c) => c.id !== conversation.id)];
    this.items.sort((a, b) => b.updatedAt - a.updatedAt);
    if (this.items.length > MAX_CONVERSATIONS) this.items.length = MAX_CONVERSATIONS;
    let total = this.items.reduce((n, c) => n + chars(c), 0);
    while (this.items.length > 1 && total > MAX_TOTAL_CHARS) total -= chars(this.items.pop()!);
    await this.save();
  }

  /** Takes a conversation out of the history (it is being reopened, or deleted). */
  async take(id: string): Promise<Conversation<M> | undefined> {
    const found = this.get(id);
    if (!found) return undefined;
    this.items = this.items.filter((c) => c !== found);
    await this.save();
    return found;
  }

  async rename(id: string, title: string): Promise<boolean> {
    const found = this.get(id);
    const clipped = clipTitle(title);
    if (!found || !clipped) return false;
    found.title = clipped;
    await this.save();
    return true;
  }

  private async save(): Promise<void> {
    await this.store.write(this.items);
  }
}
