import { join } from 'node:path';
import type { ChatGateway, CompletionRequest, Gateway, GatewayConfig, StreamPart } from '../core/gateway';

/**
 * The openai SDK is more than half of the extension's code. It ships as dist/gateway.js and is loaded
 * on the first request or key check instead of at activation, so VS Code starts the extension without
 * parsing it.
 */
export function lazyGateway(extensionPath: string, config: GatewayConfig): ChatGateway & Pick<Gateway, 'listModels'> {
  let gateway: Gateway | undefined;
  const load = () => {
    if (!gateway) {
      // A computed path, so esbuild leaves this require to run time.
      const lib = require(join(extensionPath, 'dist', 'gateway.js')) as typeof import('./gatewayLibrary');
      gateway = new lib.Gateway(config);
    }
    return gateway;
  };
  return {
    async *stream(request: CompletionRequest, signal: AbortSignal): AsyncGenerator<StreamPart> {
      yield* load().stream(request, signal);
    },
    async listModels(signal?: AbortSignal) {
      return load().listModels(signal);
    },
  };
}
