import { strict as assert } from 'node:assert';
import { heldOutPrompts, loadCorpus, readClassifierData, readModelCheck } from '../../data/tasks/corpus';
import { STAMPED_MESSAGES, TaskClassifier, UNSURE_BELOW, type ClassifierData } from '../../src/core/routing/classify';
import { referenceProbabilities } from './classifyReference';

const data = readClassifierData();
const check = readModelCheck();
const classifier = new TaskClassifier(data);
const corpus = loadCorpus();
const heldOut = heldOutPrompts(corpus);

describe('chat task classifier: the shipped weights', () => {
  it('were trained on the corpus as it is now (run `npm run train:classifier` after changing data/tasks/prompts)', () => {
    assert.equal(data.corpusSha256, corpus.sha256, 'src/core/routing/classifier.json is stale');
    assert.equal(check.corpusSha256, corpus.sha256, 'data/tasks/model-check.json is stale');
  });

  it('give in TypeScript the same task and confidence as the training script, for every held-out prompt', () => {
    assert.equal(Object.keys(check.predictions).length, heldOut.length);
    const wrong = heldOut.flatMap((p) => {
      const expected = check.predictions[p.hash];
      const probs = classifier.probabilities(p.text);
      const top = probs.indexOf(Math.max(...probs));
      const got: [string, number] = [data.labels[top]!, Math.max(...probs)];
      return expected && expected[0] === got[0] && Math.abs(expected[1] - got[1]) < 1e-5 ? [] : [`${JSON.stringify(p.text.slice(0, 50))}: python ${expected}, ts ${got}`];
    });
    assert.deepEqual(wrong.slice(0, 5), []);
  });

  // A floor against regressions; the goal (95%) is tracked by `npm run bench -- classify`.
  it('route at least 90% of held-out prompts, and of the Chinese ones, to their labelled task', () => {
    const rate = (ps: typeof heldOut) => ps.filter((p) => classifier.classify(p.text).best === p.task).length / ps.length;
    const all = rate(heldOut);
    const zh = rate(heldOut.filter((p) => p.lang === 'zh'));
    assert.ok(all >= 0.9, `held-out accuracy ${all.toFixed(3)}`);
    assert.ok(zh >= 0.9, `held-out Chinese accuracy ${zh.toFixed(3)}`);
  });
});

describe('chat task classifier: the fast feature scanner against train.py written plainly', () => {
  const same = (text: string, context = {}) => {
    const got = classifier.probabilities(text, context);
    const want = referenceProbabilities(data, text, context);
    return got.every((p, i) => Math.abs(p - want[i]!) < 1e-9) ? [] : [`${JSON.stringify(text.slice(0, 60))}: ${got.map((p) => p.toFixed(4))} ≠ ${want.map((p) => p.toFixed(4))}`];
  };

  it('gives the same probabilities for every prompt of the corpus, trained on or held out', function () {
    this.timeout(30_000); // 9,000 prompts through the plain version
    assert.deepEqual(corpus.prompts.flatMap((p) => same(p.text)).slice(0, 5), []);
  });

  it('gives the same probabilities for the awkward inputs: punctuation-only words, Unicode spaces, surrogates, fences', () => {
    const emoji = '\u{1f600}';
    const cases = [
      '',
      '   \n\t ',
      '!!! ??? ... translate ,,, this',
      "'hello' (world) — «translate» this: “now”!",
      `${emoji} translate ${emoji}this${emoji} into ${emoji}${emoji} german`,
      'lone \ud800surrogates\udc00 here \ud83d',
      'translate\u3000this\u00a0into\u2009german\u200bplease\ufeff\u2028ok\u1680now\u0085next',
      'ＦＵＬＬＷＩＤＴＨ ｔｒａｎｓｌａｔｅ ①②③ ﬁle',
      'İstanbul ΣΊΣΥΦΟΣ STRASSE',
      'x'.repeat(298) + `${emoji}${emoji}${emoji} ` + 'y'.repeat(200) + ` ${emoji} tail words here`,
      // Exactly head + tail code points in more code units (kept whole), and one more (cut).
      `${emoji} translate `.repeat(37) + 'ab'.repeat(3),
      `${emoji} translate `.repeat(37) + 'ab'.repeat(3) + 'c',
      '请把这句话翻译成英文：' + '明天下午三点开会'.repeat(80),
      'review\n```python title="x"\n' + 'def a_b(c): return c\n'.repeat(30) + '```\nand\n```js\nconst x_y = z\n```',
      'unterminated fence\n```ts\nfunction f() {',
      '```\n```',
      'what does this say\n```\nts,value\n1,2\n3,4\n```',
    ];
    assert.deepEqual(cases.flatMap((c) => same(c)), []);
    assert.deepEqual(same('why does this return NaN?', { code: 'let sum;\nfor (const i of items) sum += i;', languageId: 'javascript' }), []);
  });

  it(`gives the same probabilities after ${STAMPED_MESSAGES} messages, when the per-message stamps start again`, function () {
    this.timeout(30_000);
    // The first message is stamped 1; STAMPED_MESSAGES - 1 others later the stamps start again at 1,
    // and a stale stamp of the first message's features must not pass for the current one.
    const fresh = new TaskClassifier(data);
    const first = 'please translate this sentence into German';
    const other = 'why does this loop never end';
    const expected = fresh.probabilities(first);
    for (let i = 0; i < STAMPED_MESSAGES - 1; i++) fresh.probabilities(other);
    assert.deepEqual(fresh.probabilities(first), expected);
    assert.deepEqual(fresh.probabilities(other), classifier.probabilities(other));
  });

  it('gives the same probabilities for 2,000 random messages made of vocabulary words, separators and odd characters', () => {
    // A fixed seed, so a failure repeats.
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const vocabWords = data.vocab.split('\n').filter((f) => f.startsWith('\u0000w:') || f.startsWith('\u0000b:') || f.startsWith('\u0000c:')).map((f) => f.slice(3));
    const pieces = [' ', ' ', '\n', '\t', '\u3000', '\u00a0', ',', '.', '!', '?', '(', ')', '"', '“', '”', '-', '_', '\u{1f600}', '\ud800', '翻译', '英文', 'の', '```\n', '```py\n', 'x = 1;', 'ﬁ', 'Ａ'];
    const messages = Array.from({ length: 2000 }, () => {
      let s = '';
      const parts = rand(120);
      for (let i = 0; i < parts; i++) s += rand(3) === 0 ? pieces[rand(pieces.length)] : vocabWords[rand(vocabWords.length)];
      return s;
    });
    assert.deepEqual(messages.flatMap((m) => same(m)).slice(0, 5), []);
  });
});

describe('chat task classifier: messages a user types', () => {
  // Written for this test, not taken from the corpus: the failures of the old keyword rules and the
  // hard cases the labelling rules decide.
  const cases: Array<[string, string]> = [
    ['Implement a min-heap with push, pop and peek in TypeScript', 'code_generation'],
    ['帮我检查一下这段代码有没有问题\n```js\nfor (var i = 0; i <= arr.length; i++) sum += arr[i]\n```', 'code_review'],
    ['a limerick about a cat who deletes the production database', 'creative_writing'],
    ['find anomalies in this time series\n```\n2024-01-01,120\n2024-01-02,118\n2024-01-03,960\n2024-01-04,121\n```', 'data_analysis'],
    ['解这个一元二次方程：x² - 7x + 12 = 0', 'math_reasoning'],
    ['can you recap what we talked about so far?', 'summarization'],
    ['review this translation function\n```python\ndef translate(key, lang):\n    return STRINGS[lang][key]\n```', 'code_review'],
    ['summarise this diff\n```diff\n-const retries = 3\n+const retries = 5\n```', 'summarization'],
    ["what's wrong with my useEffect? it runs forever\n```jsx\nuseEffect(() => { setCount(count + 1) })\n```", 'code_review'],
    ['explain the math behind softmax', 'general_qa'],
    ['solve 3x + 7 = 22 and show the steps', 'math_reasoning'],
    ['请把这句话翻译成英文：明天下午三点开会', 'translation'],
    ['What is the difference between a process and a thread?', 'general_qa'],
  ];
  for (const [text, task] of cases) {
    it(`routes ${JSON.stringify(text.split('\n')[0])} to ${task}`, () => {
      const g = classifier.classify(text);
      assert.equal(g.task, task, `${g.best} ${(g.confidence * 100).toFixed(0)}% ${g.reason}`);
    });
  }

  it('says which words decided, with a confidence: a Chinese request to translate quotes 翻译 or 英文', () => {
    const g = classifier.classify('请把这句话翻译成英文：明天下午三点开会');
    assert.equal(g.task, 'translation');
    assert.match(g.reason, /^“[^”]*(翻译|英文)[^”]*”$/);
    assert.ok(g.confidence > UNSURE_BELOW && g.confidence <= 1);
  });

  it('quotes the English word that decided', () => {
    const g = classifier.classify('Could you translate this sentence into German: the build is green');
    assert.equal(g.task, 'translation');
    assert.match(g.reason, /“(translate|german)”/i);
  });

  it('counts selected code as a signal: "why?" alone is a question, "why?" about code is a review, "what does it do?" an explanation', () => {
    const code = 'function total(items) {\n  let sum;\n  for (const i of items) sum += i.price;\n  return sum;\n}';
    const withCode = { code, languageId: 'javascript' };
    assert.equal(classifier.classify('why does this return NaN?').task, 'general_qa');
    assert.equal(classifier.classify('why does this return NaN?', withCode).task, 'code_review');
    assert.equal(classifier.classify('what does this do?', withCode).task, 'general_qa');
  });
});

describe('chat task classifier: the unsure rule', () => {
  // A two-feature, three-task model whose probabilities the test controls: "aaa" points at translation
  // with a strength of `weight`.
  const tiny = (weight: number): ClassifierData => {
    const labels = ['translation', 'general_qa', 'summarization'];
    const vocab = [' a', 'a'];
    const w = new Int8Array([127, 0, 0, 127, 0, 0]); // feature-major: one weight per task for each feature
    return {
      format: 'switchboard-task-classifier/1',
      corpusSha256: 'test',
      features: { minN: 1, maxN: 2, head: 600, tail: 300, maxCodeWords: 50 },
      labels,
      vocab: vocab.join('\n'),
      idf: { lo: 1, hi: 1, q: Buffer.from([0, 0]).toString('base64') },
      scales: [weight / 127, 1, 1],
      intercepts: [0, 0, 0],
      weights: Buffer.from(w.buffer).toString('base64'),
    };
  };

  it(`sends a message to general_qa and says so when the best task is below ${UNSURE_BELOW * 100}%`, () => {
    const g = new TaskClassifier(tiny(0.1)).classify('aaa');
    assert.equal(g.best, 'translation');
    assert.ok(g.confidence < UNSURE_BELOW);
    assert.equal(g.task, 'general_qa');
    assert.equal(g.unsure, true);
    assert.match(g.reason, /unsure/);
  });

  it('keeps the task when it is confident', () => {
    const g = new TaskClassifier(tiny(5)).classify('aaa');
    assert.equal(g.task, 'translation');
    assert.equal(g.unsure, false);
  });

  it('answers from the intercepts alone when no feature fires', () => {
    const g = new TaskClassifier(tiny(5)).classify('zzz');
    assert.equal(g.task, 'general_qa');
    assert.ok(Number.isFinite(g.confidence), String(g.confidence));
    assert.equal(g.unsure, true);
  });

  it('refuses weights whose labels are not task types', () => {
    assert.throws(() => new TaskClassifier({ ...tiny(1), labels: ['translation', 'poetry', 'general_qa'] }), /poetry/);
  });
});
