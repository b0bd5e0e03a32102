/** An import-model job as the core runs it, and what it needs of an importer. */
import type { CheckpointFile } from './checkpoint-folder.js';
import type { ImportRun } from './checkpoint-imports.js';
import type { ImportTask, JobSink } from './job-types.js';

/** Imports into the model store (a queue front's run on a worker that holds the file). */
export interface CheckpointImporter {
  run(file: CheckpointFile, name: string | undefined, run?: ImportRun): Promise<{ name: string }>;
  forFirstUse(file: CheckpointFile, onProgress?: (step: number, total: number) => void): Promise<{ name: string }>;
}

/** An import-model job's run: the import with its progress, then the installed name. */
export async function runImportTask(
  imports: CheckpointImporter,
  task: ImportTask,
  sink: JobSink,
  signal: AbortSignal,
  enqueuedAt: number,
): Promise<{ results: number; timings: Record<string, number>; model: string }> {
  const began = performance.now();
  const queueMs = Math.max(0, Date.now() - enqueuedAt);
  const result = await imports.run(task.file, task.name, { signal, onProgress: (step, total) => sink.progress(step, total, undefined, 'import') });
  const importMs = Math.round(performance.now() - began);
  return { results: 0, timings: { queueMs, importMs, totalMs: queueMs + importMs }, model: result.name };
}
