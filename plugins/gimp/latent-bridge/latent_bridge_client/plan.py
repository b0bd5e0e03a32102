"""Geometry and naming decisions, kept apart from GIMP so they are unit-tested."""

from .errors import BridgeClientError

MIN_SIDE = 64
MAX_SIDE = 8192


def pad_and_clamp(box, padding, canvas_w, canvas_h):
    """(x, y, w, h) grown by ``padding`` on every side and clipped to the canvas."""
    x, y, w, h = box
    x1, y1 = max(0, x - padding), max(0, y - padding)
    x2, y2 = min(canvas_w, x + w + padding), min(canvas_h, y + h + padding)
    if x2 <= x1 or y2 <= y1:
        raise BridgeClientError('host_unsupported', 'The selection lies outside the canvas.')
    return x1, y1, x2 - x1, y2 - y1


def _round_to(v, multiple):
    top = MAX_SIDE // multiple * multiple
    return max(max(MIN_SIDE, multiple), min(top, int(round(v / float(multiple))) * multiple))


def generation_size(w, h, native, max_pixels, multiple=8):
    """Size to generate for a w x h area: about native^2 pixels with the area's aspect ratio,
    sides multiples of ``multiple`` (the model's sizeMultiple: 64 for Stable Diffusion, whose
    ONNX exports fail on other sizes; 8 when the bridge does not say) within 64..8192 and the
    product within ``max_pixels``."""
    if w < 1 or h < 1:
        raise BridgeClientError('host_unsupported', 'The area to fill is empty.')
    low = max(MIN_SIDE, multiple)
    scale = native / float((w * h) ** 0.5)
    gw, gh = _round_to(w * scale, multiple), _round_to(h * scale, multiple)
    while gw * gh > max_pixels and (gw > low or gh > low):
        shrink = (max_pixels / float(gw * gh)) ** 0.5
        nw, nh = _round_to(gw * shrink, multiple), _round_to(gh * shrink, multiple)
        if (nw, nh) == (gw, gh):
            nw, nh = max(low, gw - multiple), max(low, gh - multiple)
        gw, gh = nw, nh
    return gw, gh


def _short(prompt, limit):
    text = ' '.join((prompt or '').split()) or 'latent-bridge'
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + '\u2026'
    return text


def layer_name(prompt, seed, limit=48):
    return '%s (seed %d)' % (_short(prompt, limit), seed)


def group_name(prompt, count, limit=48):
    return '%s (%d results)' % (_short(prompt, limit), count)


def frame_t(index, frames):
    """Where frame ``index`` of ``frames`` sits between the keyframes (the server's k / (N - 1))."""
    return index / float(frames - 1) if frames > 1 else 0.0


def frame_layer_name(index, frames, ms):
    """"frame 3 (t 0.67) (100ms)": 1-based like GIMP's playback counter; GIMP's Playback and GIF
    export read the "(100ms)" tag as the frame's duration."""
    return 'frame %d (t %.2f) (%dms)' % (index + 1, frame_t(index, frames), ms)


def animation_group_name(prompt, to_prompt, frames, limit=32):
    start = _short(prompt, limit)
    end = ' '.join((to_prompt or '').split())
    title = start if not end or end == ' '.join((prompt or '').split()) else '%s \u2192 %s' % (start,
                                                                                             _short(end, limit))
    return '%s (%d frames)' % (title, frames)


def prompt_list_group_name(prompts, limit=48):
    """"red / blue (2 prompts)": the prompts themselves, shortened together."""
    joined = ' / '.join(' '.join(p.split()) for p in prompts)
    return '%s (%d prompt%s)' % (_short(joined, limit), len(prompts), '' if len(prompts) == 1 else 's')


def check_sequence(results, count, what):
    """An animation or prompt list must come back whole: results 0 … count-1, one each."""
    indices = [r.index for r in results]
    if indices != list(range(count)):
        raise BridgeClientError('internal', 'The bridge sent %s %s of %d; expected one result each.'
                                % (what, ', '.join(str(i) for i in indices) or 'none', count))


def check_expand(left, top, right, bottom):
    if min(left, top, right, bottom) < 0:
        raise BridgeClientError('invalid_field', 'Expand amounts cannot be negative.', 'expand')
    if left + top + right + bottom == 0:
        raise BridgeClientError('invalid_field', 'Choose how far to expand the canvas on at least one side.', 'expand')
    return {'left': left, 'top': top, 'right': right, 'bottom': bottom}


# Largest source the plug-in sends: 4 MP, a 16 MiB RGBA frame, twice a 1024 px model's side.
SEND_MAX_PIXELS = 2048 * 2048


def source_size(w, h, native, max_pixels):
    """Size to send a w x h source (img2img, inpaint, outpaint) at: unchanged when it is within
    the model's working area (twice its native side, so (2 * native)^2 pixels), the bridge's
    ``max_pixels`` and SEND_MAX_PIXELS; otherwise scaled down with its aspect kept. Results come
    back at this size and are scaled up over the area, as Generate does."""
    if w < 1 or h < 1:
        raise BridgeClientError('host_unsupported', 'The area to redraw is empty.')
    cap = min(max_pixels, SEND_MAX_PIXELS, 4 * native * native)
    if w * h <= cap:
        return w, h
    s = (cap / float(w * h)) ** 0.5
    return max(1, int(w * s)), max(1, int(h * s))


def megapixels(w, h):
    return '%.1f MP' % (w * h / 1e6)


def size_note(box, sent):
    """Plain words for the status bar when the source is sent smaller than the area."""
    if (box[2], box[3]) == tuple(sent):
        return None
    return ('sending the %dx%d area (%s) at %dx%d, the model\'s working size; the result is scaled back up'
            % (box[2], box[3], megapixels(box[2], box[3]), sent[0], sent[1]))
