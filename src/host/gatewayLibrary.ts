// The entry of dist/gateway.js: the openai SDK and the gateway adapter (over half of the code) in a
// bundle of its own, required on the first request or key check instead of at activation
// (src/host/lazyGateway.ts). Its errors are recognised with isGatewayError, not instanceof.
export { Gateway } from '../core/gateway';
