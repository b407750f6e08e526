// The entry of dist/tools.js: the tool loop, the tool schemas (zod's JSON Schema output), the editor
// tools (picomatch) and the batch work, in a bundle of their own, required on first use
// (src/host/lazyTools.ts) instead of at activation.
export { runToolLoop } from '../core/tools/loop';
export { BatchWork } from './batch';
export { EditorTools } from './tools';
