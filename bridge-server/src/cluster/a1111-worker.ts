import type { FieldValue } from '../a1111/fields.js';
import { A1111Error, A1111ValidationError } from '../a1111/errors.js';
import { img2imgRoute, txt2imgRoute } from '../a1111/routes-generate.js';
import { A1111Services } from '../a1111/services.js';
import type { PromptStyle } from '../a1111/styles.js';
import type { BridgeCore } from '../server/bridge-core.js';
import { errorOutcome, type Publish, type WorkerJobContext } from './worker-context.js';
import type { WireA1111Job, WireOutcome } from './wire.js';

/** How often a running A1111 job's shared.state is looked at and, when it changed, sent to its front. */
const STATE_MS = 200;

/**
 * The A1111 services a front's request runs against on a worker: this worker's core (models,
 * LoRAs, embeddings, its cache and queue), the front's settings and styles, no HTTP, no token,
 * nothing written to disk (a front saves images itself).
 */
class JobServices extends A1111Services {
  constructor(
    core: BridgeCore,
    settings: Record<string, FieldValue>,
    private readonly jobStyles: PromptStyle[],
    keepImages: boolean,
  ) {
    super({ core, token: null, configDir: undefined });
    // In memory only (persist false): the values are in place before the route reads them.
    void this.options.set(settings, false);
    this.keepImages = keepImages;
  }

  override styles(): Promise<PromptStyle[]> {
    return Promise.resolve(this.jobStyles);
  }
}

/**
 * Runs a front's A1111 request with the same route code a single bridge runs, so its answer is
 * the same bytes; the answer goes back whole in a blob. shared.state goes to the front as it
 * changes, for its /progress; its /interrupt and /skip reach this job's state (see worker.ts).
 */
export async function runA1111WireJob(ctx: WorkerJobContext, bullId: string, data: WireA1111Job, signal: AbortSignal, publish: Publish, frontGone: () => boolean): Promise<WireOutcome> {
  const worker = ctx.workerId;
  const began = performance.now();
  const queueMs = Math.max(0, Date.now() - data.enqueuedAt);
  const svc = new JobServices(ctx.core, data.settings, data.styles, data.keepImages);
  const state = svc.state;
  ctx.a1111States.set(bullId, state);
  let sent = '';
  const report = (): void => {
    const dict = state.dict();
    const text = JSON.stringify([dict, state.textinfo]);
    if (text === sent) return;
    sent = text;
    publish({ job: bullId, kind: 'a1111-state', state: dict, textinfo: state.textinfo });
  };
  const mirror = setInterval(report, STATE_MS);
  // Where sampling was when the cancel arrived: the steps after it are the "within one step" promise.
  let atCancel: { jobNo: number; step: number } | undefined;
  const onAbort = (): void => {
    atCancel = { jobNo: state.jobNo, step: state.samplingStep };
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const cancelled = (): WireOutcome => {
    if (frontGone()) return { kind: 'cancelled', worker, frontGone: 'running' };
    const steps = atCancel === undefined ? 0 : state.jobNo === atCancel.jobNo ? Math.max(0, state.samplingStep - atCancel.step) : state.samplingStep;
    return { kind: 'cancelled', worker, stepsAfterCancel: steps };
  };
  try {
    const body: unknown = JSON.parse((await ctx.a1111Blobs.get(data.body.key, data.body.bytes, 'body')).toString('utf8'));
    const route = data.route === 'txt2img' ? txt2imgRoute : img2imgRoute;
    const response = await route(svc, body, signal);
    if (signal.aborted) return cancelled();
    const key = ctx.keys.blob(bullId, 'a1111-response');
    const bytes = await ctx.a1111Blobs.put(key, Buffer.from(JSON.stringify(response), 'utf8'), 'response');
    const runMs = Math.round(performance.now() - began);
    return { kind: 'done', results: [], timings: { queueMs, runMs, totalMs: queueMs + runMs }, response: { key, bytes }, worker };
  } catch (err) {
    if (signal.aborted) return cancelled();
    return a1111ErrorOutcome(err, worker);
  } finally {
    clearInterval(mirror);
    signal.removeEventListener('abort', onAbort);
    ctx.a1111States.delete(bullId);
  }
}

/** The route's own errors keep their A1111 shape, so the front answers exactly as the worker would have. */
function a1111ErrorOutcome(err: unknown, worker: string): WireOutcome {
  if (err instanceof A1111ValidationError) {
    return { kind: 'error', code: 'invalid_field', message: err.message, worker, a1111: { status: 422, issues: err.issues.map((i) => ({ ...i, loc: [...i.loc] })) } };
  }
  if (err instanceof A1111Error) {
    const a1111 = { status: err.status, errorType: err.errorType, detail: err.detail, message: err.message, headers: { ...err.headers } };
    return { kind: 'error', code: err.status >= 500 ? 'internal' : 'invalid_field', message: err.message, worker, a1111 };
  }
  return errorOutcome(err, worker);
}
