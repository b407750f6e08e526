/**
 * Hand-checked facts about the recorded streams of `../shared/wire/` (read from the files by hand, not
 * by the code under test); the wire suite and the tools benchmark both hold the assembler to them.
 */

/** The tool calls each recorded stream holds, read by hand from the files (ids, names, arguments). */
export const TOOL_CALLS: Record<string, Array<{ id: string; name: string; arguments: Record<string, unknown> }>> = {
  // The first call's index is 1, not 0.
  'anthropic_compat_gateway_tool_call_index_starts_at_1.sse': [{ id: 'toolu_sanitized', name: 'read_file', arguments: { path: 'a.txt' } }],
  // Reasoning first, then the call with piecewise arguments.
  'deepseek_reasoner_reasoning_then_tool_call.sse': [{ id: 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF', name: 'weather', arguments: { location: 'San Francisco' } }],
  // The whole call, arguments included, in one chunk.
  'groq_llama33_tool_call_single_chunk_args.sse': [{ id: 'tk85n1k4m', name: 'weather', arguments: {} }],
  'openai_gpt4o_nonstrict_tool_call.sse': [{ id: 'call_4XzlGBLtUe9dy3GVNV4jhq7h', name: 'get_weather', arguments: { city: 'New York City' } }],
  // Two parallel calls told apart by index.
  'openai_gpt4o_parallel_tool_calls_by_index.sse': [
    { id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'GB', units: 'c' } },
    { id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price', arguments: { ticker: 'AAPL', exchange: 'NASDAQ' } },
  ],
  'openai_gpt4o_strict_tool_call.sse': [{ id: 'call_CTf1nWJLqSeRgDqaCG27xZ74', name: 'get_weather', arguments: { city: 'San Francisco', state: 'CA' } }],
  'openai_gpt4o_tool_call_single_piecewise_args.sse': [{ id: 'call_c91SqDXlYFuETYv8mUHzz6pp', name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'UK', units: 'c' } }],
  // Continuations repeat the id as "".
  'qwen3max_dashscope_tool_call_empty_id_continuations.sse': [{ id: 'call_eee11723464a4b9eb8cee71d', name: 'weather', arguments: { location: 'San Francisco' } }],
  // Reasoning, then the whole call in one delta.
  'xai_grok3mini_reasoning_tool_call.sse': [{ id: 'call_55117580', name: 'weather', arguments: { location: 'San Francisco' } }],
};

/** The recorded streams that carry reasoning (`reasoning_content`, or Groq's `reasoning`). */
export const REASONING = new Set([
  'deepseek_reasoner_reasoning_content.sse',
  'deepseek_reasoner_reasoning_then_tool_call.sse',
  'groq_qwen3_delta_reasoning_field.sse',
  'qwen3max_dashscope_reasoning_content_usage_chunk.sse',
  'xai_grok3mini_reasoning_tool_call.sse',
]);
