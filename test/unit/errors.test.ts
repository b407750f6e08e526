import { strict as assert } from 'node:assert';
import { GatewayError, classify, isGatewayError, redact, retryAfter } from '../../src/core/errors';

describe('error classification', () => {
  const cases: Array<[string, Parameters<typeof classify>[0], string, string]> = [
    ['a plain 429', { status: 429, message: 'Rate limit reached for requests', code: 'rate_limit_exceeded' }, 'retry', 'rate_limited'],
    ['a 429 for insufficient quota', { status: 429, message: 'You exceeded your current quota', code: 'insufficient_quota' }, 'fatal', 'quota'],
    ['a 402', { status: 402, message: 'Insufficient credits' }, 'fatal', 'quota'],
    ['a 401', { status: 401, message: 'Incorrect API key provided' }, 'fatal', 'auth'],
    ['a 403', { status: 403, message: 'forbidden' }, 'fatal', 'forbidden'],
    ['a 400 content filter', { status: 400, message: 'filtered', code: 'content_filter' }, 'fatal', 'content_filter'],
    ['a 500', { status: 500, message: 'Internal error' }, 'failover', 'server_error'],
    ['a 529', { status: 529, message: 'Overloaded', type: 'overloaded_error' }, 'failover', 'overloaded'],
    ['a 404 model', { status: 404, message: 'The model `x` does not exist', code: 'model_not_found' }, 'failover', 'model_unavailable'],
    ['a 400 naming the model', { status: 400, message: 'invalid model ID' }, 'failover', 'model_unavailable'],
    ['a 400 unsupported parameter', { status: 400, message: "Unsupported parameter: 'temperature'" }, 'failover', 'unsupported_parameter'],
    ['a 400 context length', { status: 400, message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' }, 'fatal', 'context_length'],
    ['any other 400', { status: 400, message: "'messages' must be an array" }, 'fatal', 'bad_request'],
    ['a LiteLLM 500 wrapping a rate limit', { status: 500, message: 'litellm.RateLimitError: Rate limit exceeded' }, 'retry', 'rate_limited'],
    ['an in-stream error without status', { message: 'Upstream provider error', transport: 'stream_error' }, 'failover', 'stream_error'],
    ['a refused connection', { message: 'Connection error (ECONNREFUSED)', transport: 'network' }, 'failover', 'network'],
    ['a first-token timeout', { message: 'no answer', transport: 'first_token_timeout' }, 'failover', 'first_token_timeout'],
    ['a stall', { message: 'no data', transport: 'stalled' }, 'failover', 'stalled'],
    // The model's own tool call failed the provider's validation: that model failed, the request is fine.
    [
      "Groq's 400 tool_use_failed",
      { status: 400, code: 'tool_use_failed', type: 'invalid_request_error', message: "Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details." },
      'failover',
      'tool_call_invalid',
    ],
    [
      'a 400 "tool call validation failed"',
      { status: 400, type: 'invalid_request_error', message: "tool call validation failed: attempted to call tool 'read_fil' which was not in request.tools" },
      'failover',
      'tool_call_invalid',
    ],
  ];
  for (const [name, failure, kind, reason] of cases) {
    it(`treats ${name} as ${kind} (${reason})`, () => {
      const c = classify(failure);
      assert.equal(c.kind, kind);
      assert.equal(c.reason, reason);
      assert.ok(c.userText.length > 10);
    });
  }

  it('offers Set API Key for a refused key', () => {
    const c = classify({ status: 401, message: 'bad key' });
    assert.equal(c.fix, 'setApiKey');
    assert.match(c.userText, /Set API Key/);
  });

  it('counts server errors against the model but not rate limits', () => {
    assert.equal(classify({ status: 503, message: 'x' }).countsAgainstModel, true);
    assert.equal(classify({ status: 429, message: 'x' }).countsAgainstModel, false);
  });
});

describe('Retry-After', () => {
  it('reads retry-after-ms first', () => assert.equal(retryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' }), 1500));
  it('reads retry-after in seconds', () => assert.equal(retryAfter({ 'retry-after': '2' }), 2000));
  it('reads retry-after as an HTTP date', () => {
    const now = Date.parse('Wed, 25 Nov 2026 10:00:00 GMT');
    assert.equal(retryAfter({ 'retry-after': 'Wed, 25 Nov 2026 10:00:07 GMT' }, '', now), 7000);
  });
  it('reads "try again in 1.5s" from the message', () => assert.equal(retryAfter({}, 'Please try again in 1.5s.'), 1500));
  it('reads "try again in 120ms" from the message', () => assert.equal(retryAfter({}, 'Please try again in 120ms.'), 120));
  it('is undefined when nothing says', () => assert.equal(retryAfter({}, 'slow down'), undefined));
});

describe('redaction', () => {
  it('removes the configured key wherever it appears', () => {
    const key = 'gw-7f3a9c1b2d4e5f60718293a4b5c6d7e8';
    assert.equal(redact(`key ${key} refused`, [key]), 'key [redacted] refused');
  });
  it('removes sk- style keys and bearer tokens even when not configured', () => {
    const out = redact('Authorization: Bearer abcdef123456 and sk-proj-ABCDEFGHIJKLMNOPQRSTUV');
    assert.doesNotMatch(out, /abcdef123456|ABCDEFGHIJKLMNOPQRSTUV/);
  });
});

describe('isGatewayError', () => {
  it('recognises a GatewayError from another copy of the module (dist/gateway.js is its own bundle)', () => {
    const foreign = Object.assign(new Error('429 slow down'), { name: 'GatewayError', failure: { status: 429, message: 'slow down' } });
    assert.ok(isGatewayError(foreign));
    assert.ok(isGatewayError(new GatewayError({ message: 'x', transport: 'network' })));
    assert.ok(!isGatewayError(new Error('GatewayError')));
    assert.ok(!isGatewayError(Object.assign(new Error('x'), { name: 'GatewayError' })), 'a failure is required');
    assert.ok(!isGatewayError({ name: 'GatewayError', failure: { message: 'not an Error' } }));
  });
});
