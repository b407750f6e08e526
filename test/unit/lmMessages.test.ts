import { strict as assert } from 'node:assert';
import { ROLE, callerOptions, latestQuestion, messageText, toChatMessages } from '../../src/core/lm/messages';

// Shaped like VS Code's part classes (LanguageModelTextPart, ToolCallPart, ToolResultPart, DataPart).
const text = (value: string) => ({ value });
const call = (callId: string, name: string, input: object) => ({ callId, name, input });
const result = (callId: string, ...content: unknown[]) => ({ callId, content });
const data = (mimeType: string, value: string) => ({ mimeType, data: new TextEncoder().encode(value) });

describe('VS Code language model messages as chat completions', () => {
  it('keeps a conversation of text turns as it is', () => {
    assert.deepEqual(
      toChatMessages([
        { role: ROLE.user, content: [text('Review '), text('this')] },
        { role: ROLE.assistant, content: [text('Looks fine.')] },
        { role: ROLE.user, content: [text('And now?')] },
      ]),
      [
        { role: 'user', content: 'Review this' },
        { role: 'assistant', content: 'Looks fine.' },
        { role: 'user', content: 'And now?' },
      ],
    );
  });

  it('turns tool calls into assistant tool_calls and tool results into tool messages before the user\'s words', () => {
    const out = toChatMessages([
      { role: ROLE.user, content: [text('Weather in Lima and Quito?')] },
      { role: ROLE.assistant, content: [text('Checking.'), call('c1', 'get_weather', { city: 'Lima' }), call('c2', 'get_weather', { city: 'Quito' })] },
      { role: ROLE.user, content: [result('c1', text('sunny')), result('c2', text('rain'), text(', 12 °C')), text('Thanks')] },
    ]);
    assert.deepEqual(out, [
      { role: 'user', content: 'Weather in Lima and Quito?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [
          { id: 'c1', name: 'get_weather', arguments: '{"city":"Lima"}' },
          { id: 'c2', name: 'get_weather', arguments: '{"city":"Quito"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', content: 'sunny' },
      { role: 'tool', toolCallId: 'c2', content: 'rain, 12 °C' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('sends no empty user message after tool results alone', () => {
    const out = toChatMessages([{ role: ROLE.user, content: [result('c1', text('42'))] }]);
    assert.deepEqual(out, [{ role: 'tool', toolCallId: 'c1', content: '42' }]);
  });

  it('reads textual data parts, names the others instead of sending bytes, and keeps a system turn', () => {
    const out = toChatMessages([
      { role: ROLE.system, content: [text('Be brief.')] },
      { role: ROLE.user, content: [data('application/json', '{"a":1}'), data('image/png', '\u0089PNG'), text(' what is this?')] },
    ]);
    assert.deepEqual(out[0], { role: 'system', content: 'Be brief.' });
    assert.equal(out[1]!.content, '{"a":1}[image/png content omitted: this model is given text only] what is this?');
  });

  it('ignores parts it does not know rather than failing the request', () => {
    assert.deepEqual(toChatMessages([{ role: ROLE.user, content: [42, null, text('hi'), { kind: 'cache-control' }] }]), [{ role: 'user', content: 'hi' }]);
  });

  it('counts every part a message carries, and Auto routing reads the latest question', () => {
    assert.equal(messageText({ role: ROLE.assistant, content: [text('ok'), call('c1', 'read_file', { path: 'a.ts' })] }), 'ok\nread_file {"path":"a.ts"}');
    const messages = toChatMessages([
      { role: ROLE.user, content: [text('翻译成英文：你好')] },
      { role: ROLE.assistant, content: [call('c1', 'x', {})] },
      { role: ROLE.user, content: [result('c1', text('done'))] },
    ]);
    assert.equal(latestQuestion(messages), '翻译成英文：你好', 'a tool step keeps the question\'s task');
  });

  it("honours a caller's temperature and answer limit in either spelling, and names what it leaves out", () => {
    assert.deepEqual(callerOptions({ temperature: 0.2, max_tokens: 300 }), { options: { temperature: 0.2, maxTokens: 300 }, ignored: [] });
    assert.deepEqual(callerOptions({ maxTokens: 64 }).options, { maxTokens: 64 });
    assert.deepEqual(callerOptions(undefined), { options: {}, ignored: [] });
    const bad = callerOptions({ temperature: 3, max_tokens: 12.5, top_p: 0.9 });
    assert.deepEqual(bad.options, {}, 'values out of range are not sent');
    assert.deepEqual(bad.ignored, ['temperature 3 (expected 0 to 2)', 'max_tokens 12.5 (expected a whole number from 1)', 'top_p']);
  });
});
