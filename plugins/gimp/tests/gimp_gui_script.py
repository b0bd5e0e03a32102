"""Runs inside GIMP 3 *with its GUI* (under Xvfb, tests/test_gui_gimp.py): opens images with
displays and runs the procedures interactively, so their real dialogs and job window show; the
driver (gimp_gui_driver.py) answers them. Writes a JSON report to LB_GUI_OUT, converts the
driver's XWD screenshots to PNG, then quits GIMP.
Environment: LB_GUI_OUT, LB_GUI_SHOTS (folder of screenshots)."""

import glob
import json
import os
import time
import traceback

import gi

gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

PDB = Gimp.get_pdb()
OUT = os.environ['LB_GUI_OUT']
SHOTS = os.environ['LB_GUI_SHOTS']
report = {'scenarios': {}}


def mark(name):
    """Tells the driver which scenario runs now (it names its screenshots after it)."""
    with open(os.path.join(SHOTS, 'current'), 'w') as f:
        f.write(name)


def new_image(w, h, title_fill=(0.2, 0.4, 0.8)):
    image = Gimp.Image.new(w, h, Gimp.ImageBaseType.RGB)
    bg = Gimp.Layer.new(image, 'background', w, h, Gimp.ImageType.RGB_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(bg, None, 0)
    Gimp.context_set_foreground(Gegl.Color.new('rgb(%g,%g,%g)' % title_fill))
    bg.edit_fill(Gimp.FillType.FOREGROUND)
    image.clean_all()
    display = Gimp.Display.new(image)
    Gimp.displays_flush()
    return image, bg, display


def interactive(name, image, drawables, **args):
    proc = PDB.lookup_procedure(name)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
    if image is not None:
        cfg.set_property('image', image)
        cfg.set_core_object_array('drawables', drawables)
    for k, v in args.items():
        cfg.set_property(k, v)
    t0 = time.monotonic()
    values = proc.run(cfg)
    status = values.index(0)
    message = values.index(1) if values.length() > 1 and isinstance(values.index(1), str) else None
    return (status.value_nick if hasattr(status, 'value_nick') else str(status)), message, time.monotonic() - t0


def layer_info(image, layer, box):
    ok, x, y = layer.get_offsets()
    info = {'name': layer.get_name(), 'x': x, 'y': y, 'width': layer.get_width(), 'height': layer.get_height()}
    mask = layer.get_mask()
    if mask is not None:
        probe = Gegl.Rectangle.new(0, 0, min(box[2], 400), min(box[3], 40))
        sel = image.get_selection().get_buffer().get(Gegl.Rectangle.new(x, y, probe.width, probe.height),
                                                     1.0, 'Y u8', Gegl.AbyssPolicy.NONE)
        info['mask_equals_selection'] = mask.get_buffer().get(probe, 1.0, 'Y u8', Gegl.AbyssPolicy.NONE) == sel
    return info


def scenario(name, w, h, select, procedure, expect_box, **args):
    mark(name)
    image, bg, display = new_image(w, h)
    if select == 'all':
        image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, w, h)
    elif select is not None:
        image.select_ellipse(Gimp.ChannelOps.REPLACE, *select)
        Gimp.Selection.feather(image, 6)
    images_before = [i.get_id() for i in Gimp.get_images()]
    layers_before = [l.get_id() for l in image.get_layers()]
    status, message, seconds = interactive(procedure, image, [bg], **args)
    Gimp.displays_flush()
    out = {'status': status, 'message': message, 'seconds': seconds,
           'images_left': sorted(set(i.get_id() for i in Gimp.get_images()) - set(images_before)),
           'dirty_other_images': [i.get_id() for i in Gimp.get_images() if i.get_id() not in images_before and i.is_dirty()],
           'layers_before': len(layers_before), 'layers_after': len(image.get_layers()),
           'user_layer_unchanged': bg.get_offsets()[1:] == (0, 0) and (bg.get_width(), bg.get_height()) == (w, h),
           'image_title': 'image %d' % image.get_id()}
    new = [l for l in image.get_layers() if l.get_id() not in layers_before]
    if new:
        out['result'] = layer_info(image, new[0], expect_box or (0, 0, new[0].get_width(), new[0].get_height()))
    report['scenarios'][name] = out
    time.sleep(1.0)  # the driver takes the after-shot (focus, scroll) now
    mark(name + '-after')
    time.sleep(1.5)
    display.delete()
    image.delete()


def main():
    common = dict(steps=4, guidance=1.0, seed=5, timeout=300)
    scenario('generate', 640, 480, (120, 90, 300, 220), 'latent-bridge-generate', (120, 90, 300, 220), prompt='red',
             batch=1, area='selection', preview=True, **common)
    scenario('img2img-6000x4000', 6000, 4000, 'all', 'latent-bridge-img2img', (0, 0, 6000, 4000), prompt='green',
             strength=0.75, batch=1, area='selection', source='visible', preview=True, **common)
    scenario('inpaint', 640, 480, (200, 150, 180, 140), 'latent-bridge-inpaint', None, prompt='blue',
             strength=1.0, batch=1, padding=32, preview=True, **common)
    # A long job (48 frames of 150 steps) the driver cancels with the job window's Cancel button.
    # Animate has no remembered values yet, so these are the ones its dialog shows.
    scenario('cancel', 640, 480, None, 'latent-bridge-animate', None, prompt='red', frames=48, area='canvas',
             preview=True, steps=150, guidance=1.0, seed=5, timeout=300)
    # The remaining dialogs open and close (Escape): every dialog of the plug-in is seen.
    for name, proc in (('outpaint', 'latent-bridge-outpaint'), ('prompt-list', 'latent-bridge-prompt-list')):
        mark(name)
        image, bg, display = new_image(320, 240)
        status, message, seconds = interactive(proc, image, [bg])
        report['scenarios'][name] = {'status': status, 'message': message, 'layers': len(image.get_layers())}
        display.delete()
        image.delete()
    for name, proc in (('settings', 'latent-bridge-settings'), ('import', 'latent-bridge-import')):
        mark(name)
        status, message, seconds = interactive(proc, None, None)
        report['scenarios'][name] = {'status': status, 'message': message}
    mark('done')
    # What the dialogs remembered: the cancelled Animate run's values too (GIMP keeps only successful ones).
    with open(os.environ['LATENT_BRIDGE_LAST_VALUES_FILE']) as f:
        report['remembered'] = json.load(f)


try:
    main()
except Exception:
    report['exception'] = traceback.format_exc()
finally:
    for xwd in sorted(glob.glob(os.path.join(SHOTS, '*.xwd'))):
        if os.path.getsize(xwd) == 0:
            os.remove(xwd)  # xwd could not grab the screen at that moment
            continue
        try:
            img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(xwd))
            Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(xwd[:-4] + '.png'), None)
            img.delete()
            os.remove(xwd)
        except Exception as e:  # a screenshot that does not convert stays as XWD
            report.setdefault('shot_errors', []).append('%s: %s' % (os.path.basename(xwd), e))
    with open(OUT, 'w') as f:
        json.dump(report, f, indent=1)
    quit_proc = PDB.lookup_procedure('gimp-quit')
    cfg = quit_proc.create_config()
    cfg.set_property('force', True)
    quit_proc.run(cfg)
