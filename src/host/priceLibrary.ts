// The entry of dist/prices.js: @pydantic/genai-prices (about 480 KB with its data) in a bundle of its
// own, required on the first price question instead of at activation (src/host/prices.ts).
export { calcPrice } from '@pydantic/genai-prices';
