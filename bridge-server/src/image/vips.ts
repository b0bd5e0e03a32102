/**
 * The one import of sharp (libvips) in latent-bridge; codec and resize get it from here.
 *
 * sharp runs each pipeline on a single libvips thread by default on glibc without jemalloc (to
 * limit heap fragmentation). An edit's resize back to the document runs alone on the job's
 * critical path, after the VAE decoder and before the result goes out, so a few threads shorten
 * every job; four keeps the fragmentation that sharp warns about small.
 */
import { availableParallelism } from 'node:os';
import sharp from 'sharp';

export const VIPS_THREADS = Math.max(1, Math.min(4, availableParallelism()));
sharp.concurrency(VIPS_THREADS);

export { sharp };
