/**
 * Switchboard as a language model provider, seen the way another extension (Copilot Chat, Cline, Roo)
 * sees it: through `vscode.lm`. On VS Code 1.104 and later the models are there and answer through the
 * router; on the minimum engine (1.100) the API does not exist and the extension does without it.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { Simulator } from '../../sim/server';
import { DEFAULT_CONFIG } from '../../src/core/routes';
import { TASK_LABELS, TASK_TYPES } from '../../src/core/tasks';
import type { TestApi } from '../../src/extension';
import { until, withSimulator } from './setup';

const [major = 0, minor = 0] = vscode.version.split('.').map(Number);
const HAS_PROVIDER_API = major > 1 || (major === 1 && minor >= 104);

async function collect(response: vscode.LanguageModelChatResponse): Promise<{ text: string; parts: unknown[] }> {
  const parts: unknown[] = [];
  let text = '';
  for await (const part of response.stream) {
    parts.push(part);
    if (part instanceof vscode.LanguageModelTextPart) text += part.value;
  }
  return { text, parts };
}

describe(`Switchboard's language models through vscode.lm (VS Code ${vscode.version})`, function () {
  this.timeout(30_000);
  const env = withSimulator();
  let sim: Simulator;
  let t: TestApi;
  before(() => ({ sim, t } = env));

  if (!HAS_PROVIDER_API) {
    it('does without the language model API before VS Code 1.104: no models, and everything else works', async () => {
      const lm = vscode.lm as { registerLanguageModelChatProvider?: unknown };
      assert.equal(typeof lm.registerLanguageModelChatProvider, 'undefined', `VS Code ${vscode.version} has no provider API`);
      assert.deepEqual(await vscode.lm.selectChatModels({ vendor: 'switchboard' }), []);
      await t.session.send('What is the capital of Peru?', 'general_qa', 'auto');
      assert.equal(t.session.state().messages.at(-1)!.state, 'done', 'the chat panel answers as before');
    });
    return;
  }

  const select = async (id: string) => {
    const [model] = await vscode.lm.selectChatModels({ vendor: 'switchboard', id });
    assert.ok(model, `vscode.lm offers Switchboard's ${id} model`);
    return model;
  };

  it('offers Switchboard · Auto and one model per task type, with their primaries\' limits', async () => {
    const models = await vscode.lm.selectChatModels({ vendor: 'switchboard' });
    assert.deepEqual(models.map((m) => m.id).sort(), ['auto', ...TASK_TYPES].sort());
    const review = models.find((m) => m.id === 'code_review')!;
    assert.equal(review.name, `Switchboard · ${TASK_LABELS.code_review}`);
    assert.equal(review.vendor, 'switchboard');
    // gpt-5's context window from the price data (400,000 tokens), less the room kept for the answer.
    assert.equal(review.maxInputTokens, 400_000 - DEFAULT_CONFIG.routes.code_review.maxTokens);
    assert.equal(models.find((m) => m.id === 'auto')!.name, 'Switchboard · Auto');
  });

  it('streams an answer from the routed model, counted in the usage ledger', async () => {
    const before = t.usage().requests;
    const model = await select('code_review');
    const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Review: const a = 1;')], {}, new vscode.CancellationTokenSource().token);
    const { text, parts } = await collect(response);
    assert.match(text, /^\[gpt-5\] Hello from gpt-5\./);
    assert.ok(parts.length > 5, `the answer streamed in ${parts.length} parts`);
    assert.equal(sim.requests.at(-1)!.body.model, 'gpt-5');
    assert.equal(sim.requests.at(-1)!.body.messages.at(-1).content, 'Review: const a = 1;', 'the caller\'s messages are sent as they are');
    await until('the answer counted', () => t.usage().requests === before + 1 || undefined);
  });

  it("sends the caller's temperature and a smaller answer limit; a larger limit stays the task's", async () => {
    const model = await select('code_review');
    const ask = (modelOptions: Record<string, unknown>) => model.sendRequest([vscode.LanguageModelChatMessage.User('Review: let b = 2;')], { modelOptions }, new vscode.CancellationTokenSource().token);
    await collect(await ask({ temperature: 0.7, max_tokens: 77 }));
    assert.equal(sim.requests.at(-1)!.body.temperature, 0.7);
    assert.equal(sim.requests.at(-1)!.body.max_tokens, 77);
    await collect(await ask({ maxTokens: 10_000_000, temperature: 9 }));
    assert.equal(sim.requests.at(-1)!.body.max_tokens, DEFAULT_CONFIG.routes.code_review.maxTokens, 'capped at what the model list promised');
    assert.equal(sim.requests.at(-1)!.body.temperature, DEFAULT_CONFIG.routes.code_review.temperature, 'an out-of-range temperature is not sent');
  });

  it('fails over without the caller seeing an error when the primary answers 500', async () => {
    sim.setScript('gpt-5', { fault: { type: 'status', status: 500, body: { error: { message: 'boom' } } } });
    const model = await select('code_review');
    const { text } = await collect(await model.sendRequest([vscode.LanguageModelChatMessage.User('Review this')], {}, new vscode.CancellationTokenSource().token));
    assert.match(text, /^\[claude-sonnet-4\]/);
    assert.deepEqual(sim.requests.map((r) => r.body.model), ['gpt-5', 'claude-sonnet-4']);
  });

  it('routes Auto by the question: a Chinese request to translate goes to the translation model', async () => {
    const model = await select('auto');
    const { text } = await collect(await model.sendRequest([vscode.LanguageModelChatMessage.User('请把这句话翻译成英文：今天天气很好。')], {}, new vscode.CancellationTokenSource().token));
    assert.equal(sim.requests.at(-1)!.body.model, DEFAULT_CONFIG.routes.translation.primary);
    assert.match(text, new RegExp(`^\\[${DEFAULT_CONFIG.routes.translation.primary}\\]`));
  });

  it('ends the stream soon after the caller cancels, and closes the connection', async () => {
    sim.setScript('gpt-5-mini', { tokensPerSecond: 20, words: 400 });
    const model = await select('general_qa');
    const cts = new vscode.CancellationTokenSource();
    const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Tell me about Lima')], {}, cts.token);
    let text = '';
    let cancelledAt = 0;
    for await (const chunk of response.text) {
      text += chunk;
      if (!cancelledAt && text.length > 20) {
        cancelledAt = Date.now();
        cts.cancel();
      }
    }
    const endedAfter = Date.now() - cancelledAt;
    assert.ok(cancelledAt > 0 && text.length < 400, `a partial answer (${text.length} characters)`);
    assert.ok(endedAfter < 2000, `the stream ended ${endedAfter} ms after the cancel`);
    await until('the simulator to see the connection close', () => sim.requests.at(-1)!.endedAt);
  });

  it('tells the caller what every model answered, in the chat panel\'s words, when none can answer', async () => {
    for (const m of ['gpt-5-mini', 'deepseek-v4', ...DEFAULT_CONFIG.globalFallbacks]) sim.setScript(m, { fault: { type: 'status', status: 500, body: { error: { message: 'down' } } } });
    const model = await select('general_qa');
    await assert.rejects(
      async () => collect(await model.sendRequest([vscode.LanguageModelChatMessage.User('What is 2+2?')], {}, new vscode.CancellationTokenSource().token)),
      (err: Error) => /Every model failed/i.test(err.message) && /gpt-5-mini: server error \(500\)/.test(err.message),
    );
  });

  it('counts tokens with the tokenizer, for a text and for a message', async () => {
    const model = await select('auto');
    const token = new vscode.CancellationTokenSource().token;
    assert.equal(await model.countTokens('hello world', token), 2, 'cl100k_base: "hello" and " world"');
    const message = await model.countTokens(vscode.LanguageModelChatMessage.User('hello world'), token);
    assert.ok(message > 2 && message < 10, `a message costs its text and a little more (${message})`);
  });

  it('round-trips a tool call: the call reaches the caller, its result reaches the model', async () => {
    sim.setScript('gpt-5-mini', [{ text: '', toolCalls: [{ id: 'call_7', name: 'get_weather', arguments: { city: 'Lima' } }] }, { text: 'It is sunny in Lima.' }]);
    const model = await select('general_qa');
    const tools: vscode.LanguageModelChatTool[] = [
      { name: 'get_weather', description: 'The weather in a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    ];
    const question = vscode.LanguageModelChatMessage.User('What is the weather in Lima?');
    const first = await collect(await model.sendRequest([question], { tools }, new vscode.CancellationTokenSource().token));
    const call = first.parts.find((p): p is vscode.LanguageModelToolCallPart => p instanceof vscode.LanguageModelToolCallPart);
    assert.ok(call, 'a tool call part');
    assert.equal(call.callId, 'call_7');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.input, { city: 'Lima' });
    assert.equal(sim.requests[0]!.body.tools[0].function.name, 'get_weather');

    const second = await collect(
      await model.sendRequest(
        [
          question,
          vscode.LanguageModelChatMessage.Assistant([call]),
          vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart('call_7', [new vscode.LanguageModelTextPart('sunny, 24 °C')])]),
        ],
        { tools },
        new vscode.CancellationTokenSource().token,
      ),
    );
    assert.equal(second.text, 'It is sunny in Lima.');
    const sent = sim.requests[1]!.body.messages;
    assert.deepEqual(sent.at(-2).tool_calls, [{ id: 'call_7', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } }]);
    assert.deepEqual(sent.at(-1), { role: 'tool', tool_call_id: 'call_7', content: 'sunny, 24 °C' });
  });
});
