/** The demo scenario's answers (sim/demo.ts): one shape per routed task, built from the prompts the extension really sends. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { demoAnswer, taskOf, userText } from '../../sim/demo';
import type { Simulator } from '../../sim/server';
import { useSimulator } from './helpers';
import { EXAMPLE_TS } from '../../scripts/demoWorkspace.mjs';
import { firstCodeBlock } from '../../src/core/comments';
import { parseReview, reviewPrompt } from '../../src/core/batch/review';
import { buildPrompt, forTask, systemPrompt, TASK_LABELS, TASK_TYPES, type ActionContext, type EditorAction, type TaskType } from '../../src/core/tasks';

const MODEL = 'gpt-5';

/** The request body the extension sends for an action routed to `task`. */
const body = (action: EditorAction, ctx: ActionContext, task: TaskType) => ({ messages: forTask(buildPrompt(action, ctx), task) });
const chat = (instruction: string, task: TaskType) => body('chat', { instruction }, task);
const answer = (b: ReturnType<typeof body>, model = MODEL) => demoAnswer(model, b);
/** The answer without its first line (the model and task) and the blank line after it. */
const bodyOf = (text: string) => text.split('\n').slice(2).join('\n');
const fences = (text: string) => text.match(/^```/gm)?.length ?? 0;

/** The demo workspace's example.ts, as scripts/start.mjs writes it. */
const EXAMPLE = EXAMPLE_TS.trimEnd().split('\n');
const AVERAGE = EXAMPLE.slice(1).join('\n');

describe('demo answers', () => {
  describe('reading the request', () => {
    it('finds the routed task from the system prompt’s Task line, for every task', () => {
      for (const task of TASK_TYPES) assert.equal(taskOf(chat('hello', task)), task, task);
    });

    it('falls back to general_qa without a system message, a Task line or a known label', () => {
      assert.equal(taskOf({ messages: [{ role: 'user', content: 'write a haiku' }] }), 'general_qa');
      assert.equal(taskOf({ messages: [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'x' }] }), 'general_qa');
      assert.equal(taskOf({ messages: [{ role: 'system', content: 'Rules.\n\nTask: Poetry. Rhyme.' }] }), 'general_qa');
      assert.equal(taskOf({}), 'general_qa');
    });

    it('takes the last user message as the user’s text', () => {
      const history = [
        { role: 'user' as const, content: 'first question' },
        { role: 'assistant' as const, content: 'first answer' },
      ];
      assert.equal(userText(body('chat', { instruction: 'second question', history }, 'general_qa')), 'second question');
    });
  });

  describe('every answer', () => {
    const all = TASK_TYPES.map((task) => [task, chat('write a haiku about rain, then solve x^2-5x+6=0', task)] as const);

    it('starts by naming the model in bold and the task it was routed to', () => {
      for (const [task, b] of all) {
        assert.equal(answer(b, 'claude-opus-4').split('\n')[0], `**claude-opus-4** (simulated) · ${TASK_LABELS[task]}`, task);
        assert.equal(answer(b, 'claude-opus-4').split('\n')[1], '', task);
      }
      assert.equal(demoAnswer('glm-5', { messages: [{ role: 'user', content: 'hi' }] }).split('\n')[0], '**glm-5** (simulated) · General Q&A');
    });

    it('is the same for the same request, and differs by model only in the model’s name', () => {
      for (const [task, b] of all) {
        assert.equal(answer(b), answer(structuredClone(b)), task);
        assert.equal(answer(b, 'deepseek-v4').replaceAll('deepseek-v4', MODEL), answer(b), task);
      }
    });
  });

  describe('creative writing', () => {
    it('writes a haiku: three lines, kept apart by Markdown line breaks', () => {
      const text = answer(chat('write a haiku about rain', 'creative_writing'));
      const lines = bodyOf(text).split('\n');
      assert.equal(lines.length, 3, text);
      assert.ok(lines.slice(0, 2).every((l) => l.endsWith('  ')), 'hard line breaks, or Markdown joins the lines');
      assert.match(bodyOf(text), /rain|clouds/i, 'about the topic asked for');
    });

    it('varies the haiku with the prompt, and about code when asked about code', () => {
      const haikus = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((s) => bodyOf(answer(chat(`write a haiku ${s}`, 'creative_writing')))));
      assert.ok(haikus.size > 1, 'more than one haiku');
      for (const h of haikus) assert.equal(h.split('\n').length, 3);
      assert.match(bodyOf(answer(chat('a haiku about a bug in my loop', 'creative_writing'))), /loop|build|commit/);
    });
  });

  describe('translation', () => {
    const comment = EXAMPLE[0]!;

    it('translates the demo comment from the Translate Comment action into one fenced block, markers kept', () => {
      const text = answer(body('translate', { selection: comment, languageId: 'typescript', fileName: 'example.ts', targetLanguage: 'English' }, 'translation'));
      assert.equal(fences(text), 2, 'exactly one fenced block');
      assert.match(text, /```typescript\n\/\/ Compute the average of a list of numbers; return 0 for an empty array\.\n```/);
      // What the extension puts back into the editor.
      assert.equal(firstCodeBlock(text), '// Compute the average of a list of numbers; return 0 for an empty array.');
    });

    it('keeps indentation and translates into the language the action names', () => {
      const text = answer(body('translate', { selection: `    ${comment}`, languageId: 'typescript', targetLanguage: 'German' }, 'translation'));
      assert.equal(firstCodeBlock(text), '    // Berechnet den Durchschnitt einer Zahlenliste; gibt bei einem leeren Array 0 zurück.');
    });

    it('translates common demo phrases asked in chat', () => {
      const cases: Array<[string, string]> = [
        ['Translate into English: 早上好', 'Good morning'],
        ['翻译成英文：谢谢', 'Thank you'],
        ['translate "hello world" into Chinese', '你好，世界'],
        ['Translate 你好 to Japanese', 'こんにちは'],
        ['translate "thank you" into Spanish', 'Gracias'],
        ['Translate good morning into German', 'Guten Morgen'],
        ['把这句话翻译成英文：计算一组数字的平均值，空数组返回 0', 'Compute the average of a list of numbers; return 0 for an empty array.'],
        ['hello world', '你好，世界'],
      ];
      for (const [ask, expected] of cases) assert.equal(bodyOf(answer(chat(ask, 'translation'))), expected, ask);
    });

    it('says honestly when it has no translation, and quotes the text', () => {
      const text = bodyOf(answer(chat('Translate into English: 这个函数很慢', 'translation')));
      assert.match(text.split('\n')[0]!, /no translation/);
      assert.match(text, /^> 这个函数很慢$/m);
      assert.equal(fences(text), 0);
    });

    it('still answers the editor action with one fenced block when the comment is unknown, leaving it as it was', () => {
      const selection = '// 这个函数很慢\n// 你好';
      const text = answer(body('translate', { selection, languageId: 'typescript' }, 'translation'));
      assert.match(text, /no translation/);
      assert.match(text, /^> 这个函数很慢$/m);
      assert.equal(fences(text), 2, 'exactly one fenced block');
      assert.equal(firstCodeBlock(text), '// 这个函数很慢\n// Hello', 'known lines translated, unknown ones unchanged');
    });
  });

  describe('code review', () => {
    it('answers Review Changed Files in the asked-for JSON, findings at the file\'s lines', () => {
      const messages = [{ role: 'system', content: systemPrompt('code_review') }, ...reviewPrompt({ path: 'example.ts', languageId: 'typescript', text: EXAMPLE_TS, diff: '-a\n+b' }, 48_000)];
      const parsed = parseReview(demoAnswer('gpt-5', { messages }), EXAMPLE_TS.split('\n').length);
      assert.equal(parsed.ok, true, JSON.stringify(parsed));
      if (!parsed.ok) return;
      assert.deepEqual(parsed.findings.map((f) => [f.line, f.severity]), [[4, 'error'], [5, 'error']]);
      assert.match(parsed.findings[0]!.message, /^Off-by-one loop bound/);
    });

    const review = (selection: string, languageId = 'typescript') => bodyOf(answer(body('review', { selection, languageId, fileName: 'example.ts' }, 'code_review')));

    it('finds the off-by-one on line 3 and the empty-array division on line 4 of the demo’s average function', () => {
      const text = review(AVERAGE);
      const findings = text.split('\n').filter((l) => /^\d+\. /.test(l));
      assert.equal(findings.length, 2, text);
      assert.match(findings[0]!, /^1\. .*line 3\b.*off-by-one.*`i <= xs\.length`.*Fix:.*`i < xs\.length`/);
      assert.match(findings[1]!, /^2\. .*line 4\b.*division.*empty.*Fix:.*xs\.length === 0/);
    });

    it('counts lines from 1 inside the fenced block', () => {
      assert.match(review(EXAMPLE.join('\n')), /line 4\b.*off-by-one/);
      assert.match(review(EXAMPLE[3]!), /line 1\b.*off-by-one/);
    });

    it('does not report the division when the code checks for an empty array', () => {
      const fixed = ['export function average(xs: number[]): number {', '  if (xs.length === 0) return 0;', '  return xs.reduce((s, x) => s + x, 0) / xs.length;', '}'].join('\n');
      assert.match(review(fixed), /^No bugs found/);
    });

    it('finds ==, var, an empty catch and console.log, each with its line and a fix, most important first', () => {
      const code = ['var count = 0;', 'if (count == "0") console.log(count);', 'try {', '  run();', '} catch (e) {}', "const url = 'http://a.b/c'; // == var console.log"].join('\n');
      const findings = review(code, 'javascript')
        .split('\n')
        .filter((l) => /^\d+\. /.test(l));
      assert.equal(findings.length, 4, findings.join('\n'));
      assert.match(findings[0]!, /line 5\b.*empty `catch`/);
      assert.match(findings[1]!, /line 2\b.*`==`.*`===`/);
      assert.match(findings[2]!, /line 1\b.*`var`.*`const`/);
      assert.match(findings[3]!, /line 2\b.*console\.log/);
      for (const f of findings) assert.match(f, /Fix:/);
    });

    it('leaves == alone outside JavaScript and TypeScript', () => {
      assert.match(review('if x == 1:\n    print(x)', 'python'), /^No bugs found/);
    });

    it('says so when it finds nothing, with one suggestion', () => {
      const text = review('export const add = (a: number, b: number) => a + b;');
      assert.match(text, /^No bugs found/);
      assert.equal(text.split('\n').filter((l) => l.startsWith('- ')).length, 1);
    });
  });

  describe('math reasoning', () => {
    const solve = (ask: string) => bodyOf(answer(chat(ask, 'math_reasoning')));
    const lastLine = (text: string) => text.split('\n').at(-1)!;

    it('solves x^2 - 5x + 6 = 0 in numbered steps, ending with the answer on its own line', () => {
      const text = solve('Solve x^2 - 5x + 6 = 0');
      assert.match(text, /^1\. /);
      assert.match(text, /\n2\. .*Δ.*= 1\./);
      assert.equal(lastLine(text), '**Answer:** x = 2 or x = 3');
      assert.equal(text.split('\n').at(-2), '', 'the answer stands apart');
    });

    it('reads x², coefficients, Chinese text around it and terms on both sides', () => {
      assert.equal(lastLine(solve('2x² + 3x - 2 = 0')), '**Answer:** x = -2 or x = 0.5');
      assert.equal(lastLine(solve('解方程 x^2-5x+6=0')), '**Answer:** x = 2 or x = 3');
      assert.equal(lastLine(solve('x^2 + 6 = 5x')), '**Answer:** x = 2 or x = 3');
      assert.equal(lastLine(solve('x^2 - 4x + 4 = 0')), '**Answer:** x = 2');
      assert.equal(lastLine(solve('x^2 - 2x - 4 = 0')), '**Answer:** x ≈ -1.2361 or x ≈ 3.2361');
      assert.match(lastLine(solve('x^2 + 2x + 5 = 0')), /no real solution \(x = -1 ± 2i\)/);
    });

    it('works out arithmetic with a parser: 12 * (3 + 4) is 84, brackets first', () => {
      const text = solve('What is 12 * (3 + 4)?');
      assert.match(text, /Brackets first: 3 \+ 4 = 7\./);
      assert.match(text, /12 \* 7 = 84\./);
      assert.equal(lastLine(text), '**Answer:** 84');
      assert.equal(lastLine(solve('2^10 / 4 - 0.1 + 0.2')), '**Answer:** 256.1');
      assert.equal(lastLine(solve('-3 * -(2 + 1) - 10 / 4')), '**Answer:** 6.5');
      assert.equal(lastLine(solve('1 / 0 + 2')), '**Answer:** undefined');
    });

    it('never evaluates code: other input gets generic steps', () => {
      const g = globalThis as { __demoPwned?: number };
      for (const ask of ['process.exit()', 'globalThis.__demoPwned = 1', 'require("child_process").execSync("false")', '(() => { globalThis.__demoPwned = 2 })()']) {
        const text = solve(ask);
        assert.match(text, /only solves quadratic equations/, ask);
        assert.match(lastLine(text), /^\*\*Answer:\*\* not worked out/, ask);
      }
      assert.equal(g.__demoPwned, undefined);
      assert.doesNotMatch(readFileSync('sim/demo.ts', 'utf8'), /\beval\s*\(|\bFunction\s*\(|new\s+Function\b|\bvm\b/);
    });
  });

  describe('summarization', () => {
    it('lists the first three sentences as bullets, without the instruction', () => {
      const text = bodyOf(
        answer(
          chat(
            'Summarize this: Switchboard routes each request to a model. When a model fails, it fails over to the next one without losing text! Answers stream into the chat. Costs are shown too.',
            'summarization',
          ),
        ),
      );
      assert.deepEqual(text.split('\n'), [
        '- Switchboard routes each request to a model.',
        '- When a model fails, it fails over to the next one without losing text!',
        '- Answers stream into the chat.',
      ]);
    });

    it('keeps each bullet to about twenty words', () => {
      const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
      const text = bodyOf(answer(chat(`Summarise:\n${long}.`, 'summarization')));
      assert.equal(text.split('\n').length, 1);
      assert.ok(text.split(/\s+/).length <= 21, text);
      assert.match(text, /^- word0 .*word19…$/);
    });
  });

  describe('data analysis', () => {
    it('counts the rows and columns of pasted CSV and gives min, mean and max of each numeric column', () => {
      const csv = 'name,price,qty\napple,1.5,3\npear,2,5\nfig,4,10';
      const text = bodyOf(answer(chat(`What does this data show?\n${csv}`, 'data_analysis')));
      assert.match(text, /^3 rows × 3 columns: `name`, `price`, `qty`\./);
      assert.match(text, /^\| Column \| Min \| Mean \| Max \|$/m);
      assert.match(text, /^\| price \| 1\.5 \| 2\.5 \| 4 \|$/m);
      assert.match(text, /^\| qty \| 3 \| 6 \| 10 \|$/m);
      assert.doesNotMatch(text, /^\| name /m);
      assert.match(text, /Not numeric: `name`/);
    });

    it('reads CSV in a fenced block and skips empty cells', () => {
      const text = bodyOf(answer(chat('```csv\nday,visits\nmon,10\ntue,\nwed,20\n```', 'data_analysis')));
      assert.match(text, /^3 rows × 2 columns/);
      assert.match(text, /^\| visits \| 10 \| 15 \| 20 \|$/m);
      assert.match(text, /1 empty cell was left out/);
    });

    it('says what it needs when there is no table', () => {
      assert.match(bodyOf(answer(chat('what trends do you see in our sales?', 'data_analysis'))), /CSV/);
    });
  });

  describe('code generation and general questions', () => {
    it('generates the fixed average function in a ts block', () => {
      const text = answer(body('generate', { instruction: 'fix the average function', before: 'a', after: 'b', languageId: 'typescript' }, 'code_generation'));
      assert.match(text, /You asked: _fix the average function_/);
      assert.match(firstCodeBlock(text), /^export function average\(xs: number\[\]\): number \{\n  if \(xs\.length === 0\) return 0;/);
      assert.equal(fences(text), 2);
    });

    it('answers a question with a short paragraph and two bullets, naming the model, without code', () => {
      const text = bodyOf(answer(chat('What is a closure?', 'general_qa'), 'qwen3-235b'));
      const [paragraph, blank, ...bullets] = text.split('\n');
      assert.match(paragraph!, /^You asked: _What is a closure\?_ .*qwen3-235b/);
      assert.equal(blank, '');
      assert.equal(bullets.length, 2);
      assert.ok(bullets.every((b) => b.startsWith('- ')));
      assert.equal(fences(text), 0);
    });

    it('describes the selection for Explain Selection', () => {
      const text = bodyOf(answer(body('explain', { selection: AVERAGE, languageId: 'typescript' }, 'general_qa')));
      assert.match(text.split('\n')[0]!, /5 lines of typescript; it defines `average`, loops over its input and returns a result\./);
    });
  });

  describe('through the simulator and the openai SDK', function () {
    this.timeout(5000);
    let sim: Simulator;
    // As sim/cli.ts's demo scenario wires it, unpaced.
    useSimulator((s) => (sim = s), { text: demoAnswer, apiKey: 'sk-switchboard-demo' });

    it('streams exactly the demo answer for the routed task', async () => {
      const client = new OpenAI({ baseURL: sim.url, apiKey: sim.apiKey, maxRetries: 0 });
      for (const [task, request] of [
        ['code_review', body('review', { selection: AVERAGE, languageId: 'typescript' }, 'code_review')],
        ['creative_writing', chat('write a haiku about rain', 'creative_writing')],
      ] as const) {
        const stream = await client.chat.completions.create({ model: 'claude-sonnet-4', messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[], stream: true });
        let text = '';
        let chunks = 0;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) {
            text += delta;
            chunks++;
          }
        }
        assert.equal(text, demoAnswer('claude-sonnet-4', request), task);
        assert.ok(chunks > 5, `streamed in pieces (${chunks})`);
      }
      assert.equal(sim.requests.length, 2);
    });
  });
});
