/**
 * Execution provider names as the CLI and config spell them, how onnxruntime-node wants them, and
 * the install hint each one gets when it is not there.
 */
import { BridgeError } from '@latent-bridge/shared';

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml';

export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'dml', 'coreml'];

const INSTALL_HINTS: Record<ExecutionProvider, string> = {
  cpu: 'The CPU provider is built into onnxruntime-node; reinstall the dependencies with `npm ci`.',
  cuda:
    'CUDA needs an NVIDIA GPU with CUDA 12 and cuDNN 9 and the CUDA build of onnxruntime-node: ' +
    'fetch its libraries with `npm run install-cuda` in the latent-bridge folder (onnxruntime-node\'s installer with ' +
    '--onnxruntime-node-install=cuda12; Linux x64 and Windows x64 only).',
  dml: 'DirectML is only available on Windows (x64 or arm64) with a DirectX 12 GPU.',
  coreml: 'CoreML is only available on macOS.',
};

export function providerUnavailable(provider: ExecutionProvider, detail: string): BridgeError {
  return new BridgeError(
    'execution_provider_unavailable',
    `Execution provider "${provider}" is not available: ${detail}. ${INSTALL_HINTS[provider]}`,
    'provider',
  );
}

/**
 * Session creation errors that come from the provider rather than the model: a provider missing
 * from this build, its shared library (or CUDA/cuDNN) failing to load, or no usable device.
 */
export function isProviderFailure(provider: ExecutionProvider, message: string): boolean {
  if (provider === 'cpu') return false;
  return /backend not found|shared library|providers_|cudnn|cublas|cuda|no available backend|device|directml|coreml/i.test(
    message,
  );
}
