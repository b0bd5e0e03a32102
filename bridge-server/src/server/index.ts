// The bridge server's public face: start it, and the pieces tests (and the fuzz test) drive directly.
export {
  startBridgeServer,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_MODEL_BUDGET_BYTES,
  WS_PATH,
  type BridgeServerOptions,
  type BridgeStats,
  type RunningBridge,
} from './bridge-server.js';
export { OriginPolicy, normalizeOrigin, isLoopbackHost, isLoopbackAddress } from './origin-policy.js';
export { FrameStore, type FrameStoreLimits } from './frame-store.js';
export { JobQueue, type QueuedJob, type JobQueueOptions } from './job-queue.js';
export { ModelCache, type ModelLoader } from './model-cache.js';
export { ModelCatalog } from './model-catalog.js';
export { ensureDemoModels, DEMO_MODEL, DEMO_INPAINT_MODEL, type DemoModel } from './demo-models.js';
export { latentPreview, SD1_LATENT_RGB_FACTORS } from './latent-preview.js';
export { SERVER_NAME, SERVER_VERSION } from './version.js';
