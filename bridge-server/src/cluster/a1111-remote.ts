import { randomUUID } from 'node:crypto';
import { BridgeError } from '@latent-bridge/shared';
import { A1111Error, A1111ValidationError } from '../a1111/errors.js';
import type { A1111Remote, A1111RemoteRequest, GenerationResponse } from '../a1111/remote.js';
import type { JobSink } from '../server/job-types.js';
import type { QueueFront } from './front.js';
import { FrontJob } from './front-job.js';
import { outcomeError, type WireA1111Error, type WireA1111Job } from './wire.js';

let counter = 0;

/**
 * A front's A1111 txt2img/img2img: the request body in a blob, the job on its model's queue with
 * the client's fairness priority, the worker's shared.state mirrored into the front's for
 * /progress, /interrupt and /skip passed on, the HTTP client leaving cancels it, and the answer
 * read back whole from its blob.
 */
export class FrontA1111 implements A1111Remote {
  constructor(private readonly front: QueueFront) {}

  async run(r: A1111RemoteRequest): Promise<GenerationResponse> {
    const front = this.front;
    const bullId = randomUUID();
    const blobKeys = [front.keys.blob(bullId, 'a1111-body')];
    const stop = (action: 'interrupt' | 'skip'): void => {
      void front.redis.publish(front.keys.a1111Channel, JSON.stringify({ job: bullId, action })).catch(() => undefined);
    };
    const sink: JobSink = {
      started: () => r.onStarted(),
      progress: () => undefined,
      wantsPreview: () => false,
      preview: () => undefined,
      result: () => undefined,
      finish: () => undefined,
    };
    const fj = new FrontJob(bullId, front.keys.queueName(r.model), sink, (e) => r.state.mirror(e.state, e.textinfo));
    r.state.stopListeners.add(stop);
    try {
      const key = blobKeys[0] as string;
      const bytes = await front.a1111Blobs.put(key, Buffer.from(JSON.stringify(r.body ?? null), 'utf8'), 'body');
      const data: WireA1111Job = {
        kind: 'a1111',
        frontId: front.id,
        clientJobId: `a1111-${++counter}`,
        enqueuedAt: Date.now(),
        route: r.route,
        model: r.model,
        body: { key, bytes },
        settings: r.settings,
        styles: r.styles,
        keepImages: r.keepImages,
      };
      const outcome = await front.dispatch(fj, data, r.client, r.gone);
      if (outcome.kind === 'done' && outcome.response !== undefined) blobKeys.push(outcome.response.key);
      if (r.gone.aborted || outcome.kind === 'cancelled') throw new BridgeError('cancelled', 'The job was cancelled.');
      if (outcome.kind === 'error') throw outcome.a1111 !== undefined ? a1111Error(outcome.a1111) : outcomeError(outcome);
      if (outcome.response === undefined) throw new BridgeError('internal', 'An A1111 job came back from its worker without its answer.');
      const text = await front.a1111Blobs.get(outcome.response.key, outcome.response.bytes, 'response');
      return JSON.parse(text.toString('utf8')) as GenerationResponse;
    } finally {
      r.state.stopListeners.delete(stop);
      if (r.state.active) r.state.end();
      await front.a1111Blobs.delete(blobKeys).catch(() => undefined);
    }
  }
}

function a1111Error(e: WireA1111Error): A1111Error | A1111ValidationError {
  if ('issues' in e) return new A1111ValidationError(e.issues);
  return new A1111Error(e.status, e.errorType, e.detail, e.message, e.headers);
}
