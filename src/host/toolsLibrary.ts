// The entry of dist/tools.js: the tool loop, the tool schemas (zod's JSON Schema output) and the editor
// tools (picomatch), in a bundle of their own, required when a chat question is first sent
// (src/host/lazyTools.ts) instead of at activation.
export { runToolLoop } from '../core/tools/loop';
export { EditorTools } from './tools';
