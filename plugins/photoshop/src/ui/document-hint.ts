import type { DocumentInfo } from '../core/host.js';
import { chooseMode } from '../core/plan.js';
import { parsePromptList } from '../core/sequence.js';
import type { JobSettings } from '../core/settings.js';

const MODE_WORDS = { txt2img: 'Generate a new layer', img2img: 'Image to image', inpaint: 'Inpaint the selection' } as const;

/** The panel's hint line: what Generate will do, where, at which depth. */
export function documentHint(doc: DocumentInfo, s: JobSettings): string {
  const where = doc.selection ? `selection ${doc.selection.bounds.width}×${doc.selection.bounds.height} at ${doc.selection.bounds.left},${doc.selection.bounds.top}` : `canvas ${doc.width}×${doc.height}`;
  return `${jobWords(s) ?? MODE_WORDS[chooseMode(doc, s)]} · ${where} · ${doc.bitDepth}-bit`;
}

/** What an animation or prompt-list job will make; null for other jobs. */
function jobWords(s: JobSettings): string | null {
  if (s.jobKind === 'animation') return `Animation of ${s.animationFrames} frames as layers`;
  if (s.jobKind === 'prompt-list') return `${parsePromptList(s.promptList).length} prompts as layers`;
  return null;
}
