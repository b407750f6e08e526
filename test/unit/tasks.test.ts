import { strict as assert } from 'node:assert';
import { buildPrompt, continuationMessages, forTask } from '../../src/core/tasks';

describe('prompts built by editor actions', () => {
  it('review puts the selection in a fenced block with its language', () => {
    const [system, user] = buildPrompt('review', { selection: 'const a = 1;', languageId: 'typescript', fileName: 'src/a.ts' });
    assert.equal(system!.role, 'system');
    assert.match(user!.content, /Review this code \(file `src\/a.ts`, language typescript\)/);
    assert.match(user!.content, /```typescript\nconst a = 1;\n```/);
  });

  it('keeps code with backtick fences intact by using a longer fence', () => {
    const [, user] = buildPrompt('explain', { selection: 'x = """\n```\n"""' });
    assert.match(user!.content, /````\nx = """\n```\n"""\n````/);
  });

  it('generate marks the cursor between the surrounding code', () => {
    const [, user] = buildPrompt('generate', { instruction: 'add a sum function', before: 'const a = 1;\n', after: '\nexport {};', languageId: 'ts' });
    assert.match(user!.content, /add a sum function/);
    assert.match(user!.content, /const a = 1;\n<CURSOR>\nexport \{\};/);
  });

  it('translate names the target language and asks to keep code untouched', () => {
    const [, user] = buildPrompt('translate', { selection: '// 计算总和', targetLanguage: 'German' });
    assert.match(user!.content, /into German/);
    assert.match(user!.content, /Keep the comment markers/);
    assert.match(user!.content, /计算总和/);
  });

  it('chat sends the history then the new message', () => {
    const msgs = buildPrompt('chat', { instruction: 'and now?', history: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    assert.deepEqual(msgs.slice(1).map((m) => m.content), ['hi', 'hello', 'and now?']);
  });

  it('continuation gives the next model the partial answer and asks it not to repeat', () => {
    const msgs = continuationMessages([{ role: 'user', content: 'q' }], 'partial ans');
    assert.equal(msgs[1]!.role, 'assistant');
    assert.equal(msgs[1]!.content, 'partial ans');
    assert.match(msgs[2]!.content, /Continue exactly where it stopped/);
  });
});

describe('forTask', () => {
  it('says in the system prompt what the routed task asks for, and re-routing changes it', () => {
    const msgs = buildPrompt('chat', { instruction: '把这句话翻译成英文：你好' });
    const asTranslation = forTask(msgs, 'translation');
    assert.match(asTranslation[0]!.content, /\nTask: Translation\. Translate faithfully/);
    assert.match(forTask(msgs, 'math_reasoning')[0]!.content, /\nTask: Math reasoning\. Solve it step by step/);
    assert.deepEqual(asTranslation.slice(1), msgs.slice(1), 'the conversation itself is unchanged');
    assert.equal(forTask(asTranslation, 'math_reasoning'), asTranslation, 'a prompt already shaped for a task is left alone');
  });
});
