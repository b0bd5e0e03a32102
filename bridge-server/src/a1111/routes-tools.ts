/**
 * The non-generating POST routes: /png-info (an image's parameters text, its other text chunks and
 * the parsed fields), /extra-single-image and /extra-batch-images (A1111's postprocessing upscale
 * with the upscalers this bridge has; face restoration is absent and refused), and /progress.
 */
import { encodePng, type PngTextEntry, type RgbaImage } from '../image/index.js';
import { latentPreview } from '../server/latent-preview.js';
import { httpException, pythonError } from './errors.js';
import { faceRestorationMessage } from './feature-support.js';
import { Fields, readModel, type FieldSpec } from './fields.js';
import { parseGenerationParameters, pyFloat, infoString } from './infotext.js';
import { IMAGE_UPSCALERS, upscaleBy } from './processing/image-ops.js';
import { EXTRAS_FIELDS } from './request-models.js';
import { decodeA1111Image, pngTextOf, type A1111Services } from './services.js';
import { extractStyles } from './styles.js';

/** PIL's image.info keys A1111 drops from /png-info items (images.IGNORED_INFO_KEYS). */
const IGNORED = new Set(['jfif', 'jfif_version', 'jfif_unit', 'jfif_density', 'dpi', 'exif', 'loop', 'background', 'timestamp', 'duration', 'progressive', 'progression', 'icc_profile', 'chromaticity', 'photoshop']);

export async function pngInfo(svc: A1111Services, body: unknown): Promise<{ info: string; items: Record<string, string>; parameters: Record<string, unknown> }> {
  const values = readModel(body, [{ name: 'image', kind: 'str', default: null }]);
  const image = values['image'];
  if (typeof image !== 'string') throw httpException(422, 'image: field required');
  const { bytes } = await decodeA1111Image(image.trim(), svc.core.limits.maxPixels * 16, 'image');
  const items: Record<string, string> = {};
  for (const e of pngTextOf(bytes)) if (!IGNORED.has(e.keyword)) items[e.keyword] = e.text;
  const info = items['parameters'] ?? '';
  delete items['parameters'];
  const parameters = parseGenerationParameters(info) as Record<string, unknown>;
  const styles = await svc.styles();
  if (styles.length > 0) {
    const found = extractStyles(styles, String(parameters['Prompt'] ?? ''), String(parameters['Negative prompt'] ?? ''));
    if (found.styles.length > 0) {
      parameters['Prompt'] = found.prompt;
      parameters['Negative prompt'] = found.negative;
      parameters['Styles array'] = found.styles;
    }
  }
  return { info, items, parameters };
}

const SINGLE_FIELDS: readonly FieldSpec[] = [...EXTRAS_FIELDS, { name: 'image', kind: 'str', default: '' }];
const BATCH_FIELDS: readonly FieldSpec[] = [...EXTRAS_FIELDS, { name: 'imageList', kind: 'list', default: [] }];

/** scripts/postprocessing_upscale.py on one image; the infotext pieces it adds. */
async function upscaleExtras(img: RgbaImage, f: Fields): Promise<{ image: RgbaImage; info: string }> {
  if (f.num('gfpgan_visibility', 0) > 0 || f.num('codeformer_visibility', 0) > 0) throw httpException(422, faceRestorationMessage());
  const pick = (field: string): (typeof IMAGE_UPSCALERS)[number] | undefined => {
    const name = f.str(field, 'None');
    if (name === 'None') return undefined;
    const hit = IMAGE_UPSCALERS.find((u) => u === name);
    if (hit === undefined) throw pythonError('AssertionError', `could not find upscaler named ${name}`);
    return hit;
  };
  const first = pick('upscaler_1');
  const second = pick('upscaler_2');
  if (first === undefined) return { image: img, info: '' };
  const info: Array<[string, string]> = [];
  const mode = f.num('resize_mode', 0);
  const toW = f.num('upscaling_resize_w', 512);
  const toH = f.num('upscaling_resize_h', 512);
  const by = mode === 1 ? Math.max(toW / img.width, toH / img.height) : f.num('upscaling_resize', 2);
  if (!(by > 0)) throw httpException(422, 'upscaling_resize: must be above 0');
  const upscale = async (u: (typeof IMAGE_UPSCALERS)[number]): Promise<RgbaImage> => {
    let out = await upscaleBy(img, by, u);
    if (mode === 1 && f.bool('upscaling_crop', true)) {
      const canvas = new Uint8Array(toW * toH * 4);
      for (let i = 3; i < canvas.length; i += 4) canvas[i] = 255;
      const x0 = Math.floor(toW / 2) - Math.floor(out.width / 2);
      const y0 = Math.floor(toH / 2) - Math.floor(out.height / 2);
      for (let y = 0; y < out.height; y++) {
        const dy = y0 + y;
        if (dy < 0 || dy >= toH) continue;
        for (let x = 0; x < out.width; x++) {
          const dx = x0 + x;
          if (dx >= 0 && dx < toW) canvas.set(out.data.subarray((y * out.width + x) * 4, (y * out.width + x) * 4 + 4), (dy * toW + dx) * 4);
        }
      }
      out = { width: toW, height: toH, data: canvas };
    }
    return out;
  };
  let out = await upscale(first);
  info.push(mode === 1 ? ['Postprocess upscale to', `${toW}x${toH}`] : ['Postprocess upscale by', infoString(pyFloat(by))]);
  if (mode === 1 && f.bool('upscaling_crop', true)) info.push(['Postprocess crop to', `${out.width}x${out.height}`]);
  info.push(['Postprocess upscaler', first]);
  const visibility = f.num('extras_upscaler_2_visibility', 0);
  if (second !== undefined && visibility > 0) {
    const b = await upscale(second);
    const data = new Uint8Array(out.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.round((out.data[i] as number) * (1 - visibility) + (b.data[i] as number) * visibility);
    out = { width: out.width, height: out.height, data };
    info.push(['Postprocess upscaler 2', second]);
  }
  return { image: out, info: info.map(([k, v]) => `${k}: ${v}`).join(', ') };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

async function extrasImage(svc: A1111Services, value: string, f: Fields): Promise<{ b64: string; info: string }> {
  const { image, bytes } = await decodeA1111Image(value, svc.core.limits.maxPixels * 16, 'image');
  const { image: out, info } = await upscaleExtras(image, f);
  // run_postprocessing keeps the image's own text chunks and adds "postprocessing".
  const text: PngTextEntry[] = pngTextOf(bytes).filter((e) => e.keyword !== 'postprocessing');
  if (info !== '') text.push({ keyword: 'postprocessing', text: info });
  const png = await encodePng(out, text.length > 0 ? { text } : {});
  return { b64: Buffer.from(png).toString('base64'), info };
}

export async function extraSingle(svc: A1111Services, body: unknown): Promise<{ html_info: string; image: string }> {
  const f = new Fields(readModel(body, SINGLE_FIELDS));
  const r = await extrasImage(svc, f.str('image', ''), f);
  return { html_info: `<p>${escapeHtml(r.info)}</p>`, image: r.b64 };
}

export async function extraBatch(svc: A1111Services, body: unknown): Promise<{ html_info: string; images: string[] }> {
  const f = new Fields(readModel(body, BATCH_FIELDS));
  const images: string[] = [];
  let info = '';
  for (const item of f.list('imageList')) {
    const data = typeof item === 'object' && item !== null && !Array.isArray(item) ? item['data'] : undefined;
    if (typeof data !== 'string') throw httpException(422, 'imageList: every item needs "data" (base64) and "name"');
    const r = await extrasImage(svc, data, f);
    images.push(r.b64);
    info = r.info;
  }
  return { html_info: `<p>${escapeHtml(info)}</p>`, images };
}

/** /progress, as modules/api/api.py progressapi computes it. */
export async function progress(svc: A1111Services, skipCurrentImage: boolean): Promise<Record<string, unknown>> {
  const s = svc.state;
  const waiting = svc.waiting > 0 && !s.active ? `Waiting in the queue (${svc.waiting} A1111 request${svc.waiting === 1 ? '' : 's'}, ${svc.core.queueLength()} job(s) in all)` : null;
  if (s.jobCount === 0) return { progress: 0, eta_relative: 0, state: s.dict(), current_image: null, textinfo: s.textinfo ?? waiting };
  let p = 0.01;
  if (s.jobCount > 0) p += s.jobNo / s.jobCount;
  if (s.samplingSteps > 0 && s.jobCount > 0) p += ((1 / s.jobCount) * s.samplingStep) / s.samplingSteps;
  const since = (Date.now() - s.timeStart) / 1000;
  const eta = since / p;
  let currentImage: string | null = null;
  const preview = s.preview;
  if (preview !== undefined && !skipCurrentImage) {
    const png = await encodePng(latentPreview(preview.data, preview.shape, 0), { fast: true });
    currentImage = Buffer.from(png).toString('base64');
  }
  return { progress: Math.min(p, 1), eta_relative: eta - since, state: s.dict(), current_image: currentImage, textinfo: s.textinfo };
}
