import { strict as assert } from 'node:assert';
import { ConversationHistory, MAX_CONVERSATIONS, MAX_MESSAGES, MAX_TITLE, MAX_TOTAL_CHARS, clipTitle, titleFrom, type Conversation } from '../../src/core/history';

interface M {
  role: 'user' | 'assistant';
  text: string;
}

function memory(initial?: unknown) {
  let value: unknown = initial;
  return {
    read: () => value,
    write: (v: Conversation<M>[]) => {
      value = JSON.parse(JSON.stringify(v));
    },
    get value() {
      return value as Conversation<M>[];
    },
  };
}
const valid = (m: unknown): M | undefined => {
  const x = m as Partial<M> | null;
  return x && (x.role === 'user' || x.role === 'assistant') && typeof x.text === 'string' ? { role: x.role, text: x.text } : undefined;
};
const conv = (id: string, updatedAt: number, messages: M[] = [{ role: 'user', text: `question ${id}` }]): Conversation<M> => ({ id, title: titleFrom(messages), createdAt: updatedAt - 1, updatedAt, messages });

describe('conversation history', () => {
  it('titles a conversation by its first question: first line, clipped at a word', () => {
    assert.equal(titleFrom([{ role: 'assistant', text: 'hi' }, { role: 'user', text: '\n  Why does   my useEffect run twice?\nmore' }]), 'Why does my useEffect run twice?');
    assert.equal(titleFrom([]), 'Untitled conversation');
    const long = clipTitle('word '.repeat(40));
    assert.ok(long.length <= MAX_TITLE && long.endsWith('…') && !long.includes('wor…'), long);
    assert.equal(clipTitle('请把这段代码翻译成英文'), '请把这段代码翻译成英文');
  });

  it('lists conversations newest first and survives a restart through its store', async () => {
    const store = memory();
    const history = new ConversationHistory<M>(store, valid);
    const writing = history.put(conv('a', 1000));
    assert.deepEqual(history.list().map((c) => c.id), ['a'], 'the history has it before the write ends');
    await writing;
    await history.put(conv('b', 3000));
    await history.put(conv('c', 2000));
    assert.deepEqual(history.list().map((c) => c.id), ['b', 'c', 'a']);
    const again = new ConversationHistory<M>(memory(store.value), valid);
    assert.deepEqual(again.list().map((c) => [c.id, c.title, c.count]), [['b', 'question b', 1], ['c', 'question c', 1], ['a', 'question a', 1]]);
  });

  it('renames, takes out (reopen or delete) and replaces by id', async () => {
    const store = memory();
    const history = new ConversationHistory<M>(store, valid);
    await history.put(conv('a', 1000));
    await history.put(conv('b', 2000));
    assert.equal(await history.rename('a', '  Dates   parser  '), true);
    assert.equal(history.get('a')!.title, 'Dates parser');
    assert.equal(await history.rename('a', '   '), false, 'an empty name is refused');
    assert.equal(await history.rename('nope', 'x'), false);
    assert.equal((await history.take('b'))!.id, 'b');
    assert.deepEqual(store.value.map((c) => c.id), ['a']);
    await history.put({ ...conv('a', 5000), title: 'Dates parser' });
    assert.equal(history.list().length, 1, 'the same id is replaced, not added');
  });

  it('stays within its bounds: conversations, messages each, and total size (oldest go first)', async () => {
    const history = new ConversationHistory<M>(memory(), valid);
    for (let i = 0; i < MAX_CONVERSATIONS + 5; i++) await history.put(conv(`c${i}`, 1000 + i));
    assert.equal(history.list().length, MAX_CONVERSATIONS);
    assert.equal(history.list().at(-1)!.id, 'c5', 'the five oldest went');

    const many = Array.from({ length: MAX_MESSAGES + 50 }, (_, i): M => ({ role: i % 2 ? 'assistant' : 'user', text: `m${i}` }));
    await history.put(conv('long', 9000, many));
    assert.equal(history.get('long')!.messages.length, MAX_MESSAGES);
    assert.equal(history.get('long')!.messages.at(-1)!.text, `m${MAX_MESSAGES + 49}`, 'the latest messages are kept');

    const big = new ConversationHistory<M>(memory(), valid);
    const huge = (id: string, at: number) => conv(id, at, [{ role: 'user', text: 'x'.repeat(MAX_TOTAL_CHARS / 3) }]);
    for (const [i, id] of ['old', 'mid', 'new', 'newest'].entries()) await big.put(huge(id, 1000 + i));
    assert.deepEqual(big.list().map((c) => c.id), ['newest', 'new'], 'the oldest went until the total fits');
  });

  it('drops what is not a conversation, and messages that do not validate, when it reads the store', () => {
    const history = new ConversationHistory<M>(
      memory([
        null,
        'junk',
        { id: 'x', title: 'no messages', createdAt: 1, updatedAt: 2, messages: [] },
        { id: 'y', title: 'bad dates', createdAt: 'yesterday', updatedAt: 2, messages: [{ role: 'user', text: 'q' }] },
        { id: 'z', title: 'Kept', createdAt: 1, updatedAt: 2, messages: [{ role: 'robot', text: 1 }, { role: 'user', text: 'q' }] },
      ]),
      valid,
    );
    assert.deepEqual(history.list().map((c) => [c.id, c.count]), [['z', 1]]);
  });
});
