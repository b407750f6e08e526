import type { ChatGateway, CompletionRequest, Gateway, GatewayConfig, StreamPart } from '../core/gateway';

/**
 * The openai SDK is more than half of the extension bundle. Loading it on the first request instead of
 * at activation keeps startup fast (esbuild evaluates a dynamically imported module only when asked).
 */
export function lazyGateway(config: GatewayConfig): ChatGateway & Pick<Gateway, 'listModels'> {
  let gateway: Promise<Gateway> | undefined;
  const load = () => (gateway ??= import('../core/gateway').then((m) => new m.Gateway(config)));
  return {
    async *stream(request: CompletionRequest, signal: AbortSignal): AsyncGenerator<StreamPart> {
      yield* (await load()).stream(request, signal);
    },
    async listModels(signal?: AbortSignal) {
      return (await load()).listModels(signal);
    },
  };
}
