import { strict as assert } from 'node:assert';
import { DEFAULT_CONFIG, DEFAULT_GLOBAL_FALLBACKS, candidateChain, resolveSettings } from '../../src/core/routes';

describe('settings overrides', () => {
  it('with no overrides gives the DESIGN.md defaults', () => {
    const { config, problems } = resolveSettings([]);
    assert.deepEqual(problems, []);
    assert.equal(config.routes.code_generation.primary, 'claude-opus-4');
    assert.deepEqual(config.routes.code_generation.fallbacks, ['gpt-5']);
    assert.equal(config.routes.translation.primary, 'deepseek-v4');
    assert.equal(config.routes.creative_writing.maxTokens, 8192);
    assert.equal(config.routes.math_reasoning.temperature, 0);
    assert.deepEqual(config.globalFallbacks, ['gpt-5', 'claude-opus-4', 'gemini-2.5-pro', 'deepseek-v4', 'gpt-5-mini']);
    assert.equal(config.actionTasks.review, 'code_review');
    assert.equal(config.actionTasks.explain, 'general_qa');
  });

  it('chains a task primary, its fallbacks, then the global chain without duplicates', () => {
    assert.deepEqual(candidateChain(DEFAULT_CONFIG, 'code_review'), ['gpt-5', 'claude-sonnet-4', 'claude-opus-4', 'gemini-2.5-pro', 'deepseek-v4', 'gpt-5-mini']);
  });

  it('names the exact key of a bad primary and keeps the default for just that value', () => {
    const { config, problems } = resolveSettings([
      { source: 'user', values: { routes: { code_review: { primary: 42, maxTokens: 1000 } } } },
    ]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.key, 'switchboard.routes.code_review.primary');
    assert.match(problems[0]!.message, /^expected a model name/);
    assert.equal(config.routes.code_review.primary, 'gpt-5');
    assert.equal(config.routes.code_review.maxTokens, 1000, 'the valid sibling still applies');
  });

  it('reports every problem at once, each with its key', () => {
    const { problems, config } = resolveSettings([
      {
        source: 'user',
        values: {
          routes: { general_qa: { temperature: 3, fallbacks: 'gpt-5' }, bogus_task: { primary: 'x' }, code_generation: { primery: 'x' } },
          globalFallbacks: ['gpt-5', ''],
          actionTasks: { review: 'reviewing', explain: 'summarization' },
          timeouts: { firstTokenMs: 10 },
          translation: { targetLanguage: '' },
        },
      },
    ]);
    const keys = problems.map((p) => p.key).sort();
    assert.deepEqual(keys, [
      'switchboard.actionTasks.review',
      'switchboard.globalFallbacks',
      'switchboard.routes.bogus_task',
      'switchboard.routes.code_generation.primery',
      'switchboard.routes.general_qa.fallbacks',
      'switchboard.routes.general_qa.temperature',
      'switchboard.timeouts.firstTokenMs',
      'switchboard.translation.targetLanguage',
    ]);
    assert.match(problems.find((p) => p.key.endsWith('temperature'))!.message, /from 0 to 2, got number 3/);
    assert.match(problems.find((p) => p.key.endsWith('review'))!.message, /expected one of code_generation/);
    assert.equal(config.actionTasks.explain, 'summarization', 'the valid action mapping applies');
    assert.deepEqual(config.globalFallbacks, DEFAULT_GLOBAL_FALLBACKS);
    assert.equal(config.timeouts.firstTokenMs, DEFAULT_CONFIG.timeouts.firstTokenMs);
  });

  it('lets a workspace layer override the user layer and records where each value came from', () => {
    const { config, sources } = resolveSettings([
      { source: 'user', values: { routes: { code_review: { primary: 'claude-opus-4', temperature: 0.5 } } } },
      { source: 'workspace', values: { routes: { code_review: { primary: 'glm-5' } } } },
    ]);
    assert.equal(config.routes.code_review.primary, 'glm-5');
    assert.equal(config.routes.code_review.temperature, 0.5);
    assert.equal(sources['switchboard.routes.code_review.primary'], 'workspace');
    assert.equal(sources['switchboard.routes.code_review.temperature'], 'user');
    assert.equal(sources['switchboard.routes.code_review.maxTokens'], undefined);
  });

  it('rejects a non-object section with its key and ignores nothing else', () => {
    const { problems, config } = resolveSettings([{ source: 'user', values: { routes: 'gpt-5', globalFallbacks: ['glm-5'] } }]);
    assert.deepEqual(problems.map((p) => p.key), ['switchboard.routes']);
    assert.deepEqual(config.globalFallbacks, ['glm-5']);
  });

  it('accepts gateway-style model names (OpenRouter slugs, Ollama tags)', () => {
    const { problems, config } = resolveSettings([
      { source: 'user', values: { routes: { code_generation: { primary: 'anthropic/claude-opus-4', fallbacks: ['llama3.1:8b'] } } } },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(config.routes.code_generation.primary, 'anthropic/claude-opus-4');
  });

  it('never mutates the defaults', () => {
    resolveSettings([{ source: 'user', values: { routes: { code_review: { primary: 'glm-5' } } } }]);
    assert.equal(DEFAULT_CONFIG.routes.code_review.primary, 'gpt-5');
  });
});
