"""Runs INSIDE gimp-console 3 (python-fu-eval): for each scenario builds a test image, calls one of
our procedures through the PDB and records what GIMP then reports (layers, offsets, masks, pixels)
as JSON for test_e2e_gimp.py to check. One GIMP start serves every scenario (a start costs seconds).
Environment: LB_E2E_SCENARIOS (comma list), LB_E2E_OUT (report path), LB_E2E_BRIDGE_URL,
LB_E2E_TOKEN, LATENT_BRIDGE_HOST_TRACE (the plug-in's trace file, sliced per scenario)."""

import hashlib
import json
import os
import sys
import time
import types

import gi

gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp  # noqa: E402

RGBA8 = "R'G'B'A u8"
PDB = Gimp.get_pdb()


def rect(x, y, w, h):
    return Gegl.Rectangle.new(x, y, w, h)


def layer_bytes(drawable, fmt=RGBA8):
    w, h = drawable.get_width(), drawable.get_height()
    return drawable.get_buffer().get(rect(0, 0, w, h), 1.0, fmt, Gegl.AbyssPolicy.NONE)


def describe(layer):
    ok, x, y = layer.get_offsets()
    info = {'name': layer.get_name(), 'x': x, 'y': y, 'width': layer.get_width(), 'height': layer.get_height(),
            'group': layer.is_group(), 'visible': layer.get_visible(), 'has_mask': layer.get_mask() is not None}
    if not layer.is_group():
        info['sha1'] = hashlib.sha1(layer_bytes(layer)).hexdigest()
        info['bpp'] = layer.get_bpp()
    else:
        info['children'] = [describe(c) for c in layer.get_children()]
    return info


def fill(layer, pixel_at):
    w, h = layer.get_width(), layer.get_height()
    data = b''.join(bytes(pixel_at(x, y)) for y in range(h) for x in range(w))
    buf = layer.get_buffer()
    buf.set(rect(0, 0, w, h), RGBA8, data)
    buf.flush()
    layer.update(0, 0, w, h)


def make_image(base=Gimp.ImageBaseType.RGB, precision=None):
    w, h = 211, 157
    if precision is None:
        image = Gimp.Image.new(w, h, base)
    else:
        image = Gimp.Image.new_with_precision(w, h, base, precision)
    types = {Gimp.ImageBaseType.RGB: (Gimp.ImageType.RGB_IMAGE, Gimp.ImageType.RGBA_IMAGE),
             Gimp.ImageBaseType.GRAY: (Gimp.ImageType.GRAY_IMAGE, Gimp.ImageType.GRAYA_IMAGE)}[base]
    bg = Gimp.Layer.new(image, 'background', w, h, types[0], 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(bg, None, 0)
    fill(bg, lambda x, y: (x % 256, y % 256, 200, 255))
    top = Gimp.Layer.new(image, 'patch', 41, 33, types[1], 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(top, None, 0)
    top.set_offsets(151, 101)
    fill(top, lambda x, y: (30, 160, 30, 255 if (x // 5 + y // 5) % 2 else 0))
    return image


def visible_bytes(image, box):
    vis = Gimp.Layer.new_from_visible(image, image, 'probe')
    try:
        return vis.get_buffer().get(rect(*box), 1.0, RGBA8, Gegl.AbyssPolicy.NONE)
    finally:
        vis.delete()


def selection_bytes(image, box):
    return image.get_selection().get_buffer().get(rect(*box), 1.0, 'Y u8', Gegl.AbyssPolicy.NONE)


def run_procedure(name, image, drawables, new_images=0, **args):
    proc = PDB.lookup_procedure(name)
    if proc is None:
        raise RuntimeError('procedure %s is not registered' % name)
    cfg = proc.create_config()
    cfg.set_property('image', image)
    if drawables:
        cfg.set_core_object_array('drawables', drawables)
    for k, v in args.items():
        cfg.set_property(k, v)
    images = len(Gimp.get_images())
    t0 = time.monotonic()
    values = proc.run(cfg)
    seconds = time.monotonic() - t0
    if len(Gimp.get_images()) != images + new_images:
        raise RuntimeError('%s left %d images open, there were %d' % (name, len(Gimp.get_images()), images))
    status = values.index(0)
    message = values.index(1) if values.length() > 1 and isinstance(values.index(1), str) else None
    return status.value_nick if hasattr(status, 'value_nick') else str(status), message, seconds


def pixel(data, width, x, y, channels=4):
    at = (y * width + x) * channels
    return list(data[at:at + channels])


def new_layers(image, before_names):
    return [layer for layer in image.get_layers() if layer.get_name() not in before_names]


def result_report(image, layer, box):
    """Pixels and mask of a new layer, compared with what was there before."""
    x, y, w, h = box
    info = describe(layer)
    data = layer_bytes(layer)
    info['pixels'] = {'center': pixel(data, w, w // 2, h // 2)} if (info['width'], info['height']) == (w, h) else {}
    mask = layer.get_mask()
    if mask is not None:
        mask_data = mask.get_buffer().get(rect(0, 0, w, h), 1.0, 'Y u8', Gegl.AbyssPolicy.NONE)
        sel = selection_bytes(image, box)
        info['mask_equals_selection'] = mask_data == sel
        info['mask_diff_max'] = max(abs(a - b) for a, b in zip(mask_data, sel)) if len(mask_data) == len(sel) else -1
        info['mask_min'], info['mask_max'] = min(mask_data), max(mask_data)
    return info, data


def scenario_inpaint(out, gray16=False, indexed=False):
    if gray16:
        image = make_image(Gimp.ImageBaseType.GRAY, Gimp.Precision.U16_NON_LINEAR)
    else:
        image = make_image()
    if indexed:
        image.convert_indexed(Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE, 64, False, False, '')
    layers_before = [describe(layer) for layer in image.get_layers()]
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 37, 29, 61, 45)
    Gimp.Selection.feather(image, 6.0)
    ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    padding = 16
    box = (max(0, x1 - padding), max(0, y1 - padding), min(image.get_width(), x2 + padding) - max(0, x1 - padding),
           min(image.get_height(), y2 + padding) - max(0, y1 - padding))
    source = visible_bytes(image, box)
    selection = selection_bytes(image, box)
    status, message, seconds = run_procedure(
        'latent-bridge-inpaint', image, [image.get_layers()[0]], prompt='red', negative='', steps=4,
        guidance=1.0, seed=7, strength=1.0, padding=padding, grow=0, feather=0, batch=1, timeout=120,
        preview=not gray16 and not indexed)
    out.update(status=status, message=message, seconds=seconds, selection_bounds=[x1, y1, x2, y2], box=list(box),
               layers_before=layers_before, layers_after=[describe(layer) for layer in image.get_layers()])
    if status == 'success':
        layer = image.get_layers()[0]
        info, data = result_report(image, layer, box)
        out['result'] = info
        w = box[2]
        # pixels outside the selection (mask 0) must be the source's, byte for byte (8-bit images)
        unselected = [i for i, v in enumerate(selection) if v == 0]
        out['unselected_pixels'] = len(unselected)
        out['unselected_identical'] = all(data[i * 4:i * 4 + 4] == source[i * 4:i * 4 + 4] for i in unselected)
        sx, sy = (x1 + x2) // 2 - box[0], (y1 + y2) // 2 - box[1]
        out['selected_center'] = pixel(data, w, sx, sy)
        out['selection_at_center'] = selection[sy * w + sx]
        out['image_size'] = [image.get_width(), image.get_height()]
    image.delete()


def scenario_generate(out):
    image = make_image()
    layers_before = [describe(layer) for layer in image.get_layers()]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 23, 31, 77, 53)
    Gimp.Selection.feather(image, 5.0)
    ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    box = (x1, y1, x2 - x1, y2 - y1)
    status, message, seconds = run_procedure(
        'latent-bridge-generate', image, [image.get_layers()[0]], prompt='red', steps=3, guidance=1.0, seed=21,
        batch=2, area='selection', timeout=120, preview=False)
    out.update(status=status, message=message, seconds=seconds, box=list(box), layers_before=layers_before,
               layers_after=[describe(layer) for layer in image.get_layers()])
    if status == 'success':
        group = image.get_layers()[0]
        out['children'] = []
        for child in group.get_children():
            info, _ = result_report(image, child, box)
            out['children'].append(info)
    image.delete()


def scenario_img2img(out):
    image = make_image()
    layers_before = [describe(layer) for layer in image.get_layers()]
    Gimp.Selection.none(image)
    status, message, seconds = run_procedure(
        'latent-bridge-img2img', image, [image.get_layers()[0]], prompt='green', steps=4, guidance=1.0, seed=5,
        strength=0.75, batch=1, area='selection', source='visible', timeout=120, preview=False)
    out.update(status=status, message=message, seconds=seconds, layers_before=layers_before,
               layers_after=[describe(layer) for layer in image.get_layers()])
    if status == 'success':
        layer = image.get_layers()[0]
        info, _ = result_report(image, layer, (0, 0, image.get_width(), image.get_height()))
        out['result'] = info
    image.delete()


def scenario_img2img_big(out):
    image = Gimp.Image.new(6000, 4000, Gimp.ImageBaseType.RGB)
    bg = Gimp.Layer.new(image, 'background', 6000, 4000, Gimp.ImageType.RGB_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(bg, None, 0)
    Gimp.context_set_foreground(Gegl.Color.new('rgb(0.2,0.4,0.8)'))
    bg.edit_fill(Gimp.FillType.FOREGROUND)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, 6000, 4000)
    status, message, seconds = run_procedure(
        'latent-bridge-img2img', image, [bg], prompt='green', steps=2, guidance=1.0, seed=5,
        strength=0.75, batch=1, area='selection', source='visible', timeout=300, preview=False)
    out.update(status=status, message=message, seconds=seconds)
    if status == 'success':
        layer = image.get_layers()[0]
        info = describe(layer)
        mask = layer.get_mask()
        if mask is not None:
            probe = rect(0, 0, 6000, 40)
            info['mask_equals_selection'] = (mask.get_buffer().get(probe, 1.0, 'Y u8', Gegl.AbyssPolicy.NONE)
                                             == image.get_selection().get_buffer().get(probe, 1.0, 'Y u8',
                                                                                       Gegl.AbyssPolicy.NONE))
        out['result'] = info
    out['sent_pixels'] = next((e['width'] * e['height'] for e in reversed(trace_events()) if e['event'] == 'send_source'), None)
    image.delete()


def scenario_outpaint(out):
    image = make_image()
    layers_before = [describe(layer) for layer in image.get_layers()]
    source = visible_bytes(image, (0, 0, image.get_width(), image.get_height()))
    status, message, seconds = run_procedure(
        'latent-bridge-outpaint', image, [image.get_layers()[0]], prompt='blue', steps=3, guidance=1.0, seed=9,
        strength=1.0, batch=1, left=16, top=0, right=48, bottom=24, timeout=120, preview=False)
    out.update(status=status, message=message, seconds=seconds, layers_before=layers_before,
               layers_after=[describe(layer) for layer in image.get_layers()],
               image_size=[image.get_width(), image.get_height()])
    if status == 'success':
        layer = image.get_layers()[0]
        data = layer_bytes(layer)
        w = layer.get_width()
        info = describe(layer)
        info['new_area_pixel'] = pixel(data, w, w - 5, 5)
        inner = [data[((y + 0) * w + 16 + x) * 4:((y + 0) * w + 16 + x) * 4 + 4] == source[(y * 211 + x) * 4:(y * 211 + x) * 4 + 4]
                 for y in range(0, 157, 7) for x in range(0, 211, 7)]
        info['source_kept_fraction'] = sum(inner) / float(len(inner))
        out['result'] = info
    image.delete()


def run_settings(url, token):
    proc = PDB.lookup_procedure('latent-bridge-settings')
    cfg = proc.create_config()
    cfg.set_property('url', url)
    cfg.set_property('token', token)
    cfg.set_property('test', True)
    values = proc.run(cfg)
    status = values.index(0)
    return [status.value_nick, values.index(1) if values.length() > 1 else None]


def scenario_settings_wrong_token(out):
    out['settings'] = run_settings(os.environ['LB_E2E_BRIDGE_URL'], 'not-the-token')


def scenario_settings(out):
    out['settings'] = run_settings(os.environ['LB_E2E_BRIDGE_URL'], os.environ['LB_E2E_TOKEN'])


def scenario_bad_input(out):
    image = make_image()
    before = [describe(layer) for layer in image.get_layers()]
    Gimp.Selection.none(image)
    out['no_selection'] = run_procedure('latent-bridge-inpaint', image, [image.get_layers()[0]], prompt='red',
                                        steps=2, timeout=30)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 10, 10, 40, 40)
    out['wrong_token'] = run_procedure('latent-bridge-inpaint', image, [image.get_layers()[0]], prompt='red',
                                       steps=2, timeout=30)
    out['layers_unchanged'] = before == [describe(layer) for layer in image.get_layers()]
    empty = Gimp.Image.new(64, 64, Gimp.ImageBaseType.RGB)
    out['empty_image'] = run_procedure('latent-bridge-generate', empty, [], prompt='red', steps=2, timeout=30)
    empty.delete()
    image.delete()


def scenario_setup(out):
    out['procedures'] = sorted(PDB.query_procedures('latent-bridge-.*', '', '', '', '', '', '', ''))
    out['gimp'] = Gimp.version()


SCENARIOS = {
    'setup': scenario_setup,
    'settings_wrong_token': scenario_settings_wrong_token,
    'settings': scenario_settings,
    'inpaint': scenario_inpaint,
    'inpaint_gray16': lambda out: scenario_inpaint(out, gray16=True),
    'inpaint_indexed': lambda out: scenario_inpaint(out, indexed=True),
    'generate': scenario_generate,
    'img2img': scenario_img2img,
    'outpaint': scenario_outpaint,
    'img2img_big': scenario_img2img_big,
    'bad_input': scenario_bad_input,
}
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gimp_e2e_sequences  # noqa: E402

SCENARIOS.update(gimp_e2e_sequences.scenarios(types.SimpleNamespace(**globals())))

def trace_events():
    path = os.environ.get('LATENT_BRIDGE_HOST_TRACE')
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


if __name__ == '__main__':
    reports = {}
    for name in os.environ['LB_E2E_SCENARIOS'].split(','):
        report = {}
        seen = len(trace_events())
        t0 = time.monotonic()
        try:
            SCENARIOS[name](report)
        except Exception:  # reported to the host test with the traceback
            import traceback
            report['exception'] = traceback.format_exc()
        report['scenario_seconds'] = time.monotonic() - t0
        report['trace'] = trace_events()[seen:]
        reports[name] = report
    with open(os.environ['LB_E2E_OUT'], 'w', encoding='utf-8') as f:
        json.dump(reports, f, indent=1, default=str)
