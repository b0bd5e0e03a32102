import type { EmbeddingFolder } from './embedding-folder.js';
import type { JobLoras } from './job-loras.js';
import type { BridgeError, FrameFormat, PromptEntry } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import type { GenerateRequest } from '../pipeline/generate.js';
import type { PipelineTimings } from './job-runner.js';
import type { SequenceContext } from './sequence-runner.js';
import type { CheckpointFile } from './checkpoint-folder.js';

/** What the pipeline is asked for: exactly pipeline/generate.ts's request. */
export type ServerGenerateRequest = GenerateRequest;

/**
 * A job that makes one result per frame or entry instead of one per batch item: an animation
 * between the request's prompt/seed and toPrompt/toSeed, or a prompt list whose entries override
 * the request's fields.
 */
export type JobSequence =
  | { kind: 'animation'; frames: number; toPrompt?: string; toSeed?: number; chainStrength?: number }
  | { kind: 'prompts'; entries: PromptEntry[] }
  | CustomJob;

/**
 * Work of another front (the A1111 API) that runs in the same queue on the loaded model: `run`
 * gets the model and the job's signal and hands its results back itself.
 */
export interface CustomJob {
  kind: 'custom';
  run(ctx: SequenceContext): Promise<PipelineTimings>;
}

/** A validated job, ready for the queue: its model resolved, its images decoded. */
export interface JobSpec {
  model: ModelInfo;
  request: ServerGenerateRequest;
  /** LoRAs merged into the model when the job runs (generate.loras and <lora:…> tags). */
  loras?: JobLoras;
  /** The embeddings folder whose embeddings the job's prompts may trigger. */
  embeddings?: EmbeddingFolder;
  /** Extra A1111 parameters fields for every image (Lora hashes, TI hashes). */
  infotext?: Record<string, string>;
  sequence?: JobSequence;
  /** Every how many steps a preview is sent; undefined for none. */
  previewEvery: number | undefined;
  previewFormat: 'raw-rgba' | 'jpeg';
  resultFormat: 'raw-rgba' | 'png';
}

/** Pixels ready to go into a frame. */
export interface EncodedImage {
  format: FrameFormat;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  payload: Uint8Array;
}

/** What a running job reports, in this order: started, progress/preview…, result × n. */
export interface JobEvents {
  started(): void;
  /** `phase` 'import': an import-model job (or a generate importing its checkpoint first). */
  progress(step: number, total: number, etaMs: number | undefined, phase?: 'import'): void;
  /** False when the receiver is backed up; the job then skips previews (they are optional). */
  wantsPreview(): boolean;
  preview(index: number, step: number, image: EncodedImage): void;
  result(index: number, seed: number, parameters: string, image: EncodedImage): void;
}

export type JobEnd =
  | { kind: 'done'; results: number; timings: Record<string, number>; model?: string; warnings?: string[] }
  | { kind: 'cancelled' }
  | { kind: 'error'; error: BridgeError };

/** One end of a job: the WebSocket connection or the HTTP request that submitted it. */
export interface JobSink extends JobEvents {
  /** Called exactly once per job that reached the queue, with its outcome. */
  finish(end: JobEnd): void;
}

/** An import-model job: a checkpoint from the checkpoints folder into the model store. */
export interface ImportTask {
  file: CheckpointFile;
  /** Model name to install under; default the file's. */
  name: string | undefined;
}

export type QueuedPayload = { spec: JobSpec; sink: JobSink } | { importTask: ImportTask; sink: JobSink };
