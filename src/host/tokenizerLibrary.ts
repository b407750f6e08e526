// The entry of dist/tokenizer.js: gpt-tokenizer's cl100k_base encoding (about 1 MB of ranks) in a
// bundle of its own, required only when a gateway sends no usage (src/host/tokenizer.ts).
export { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
