"""Scenarios of gimp_e2e_script.py for the jobs with one result per frame or entry (Animate,
Prompt List) and for variation and mix mode. Runs INSIDE gimp-console; ``h`` is the main script's
namespace (make_image, describe, run_procedure, ...)."""

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import Gimp  # noqa: E402


def _mean_rgb(h, layer):
    data = h.layer_bytes(layer)
    n = len(data) // 4
    return [round(sum(data[c::4]) / float(n), 1) for c in range(3)]


def _children(h, group):
    """Top to bottom, as GIMP lists them, each with its mean colour and centre pixel."""
    out = []
    for child in group.get_children():
        info = h.describe(child)
        info['mean_rgb'] = _mean_rgb(h, child)
        data = h.layer_bytes(child)
        info['center'] = h.pixel(data, child.get_width(), child.get_width() // 2, child.get_height() // 2)
        out.append(info)
    return out


def scenario_animate(h, out):
    image = h.make_image()
    layers_before = [h.describe(layer) for layer in image.get_layers()]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 23, 31, 77, 53)
    ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    out['box'] = [x1, y1, x2 - x1, y2 - y1]
    status, message, seconds = h.run_procedure(
        'latent-bridge-animate', image, [image.get_layers()[0]], prompt='red', **{'to-prompt': 'blue'},
        steps=3, guidance=1.0, seed=3, **{'to-seed': -1}, frames=4, **{'chain-strength': 0.0},
        **{'frame-ms': 80}, area='selection', timeout=180, preview=False)
    out.update(status=status, message=message, seconds=seconds, layers_before=layers_before,
               layers_after=[h.describe(layer) for layer in image.get_layers()])
    if status == 'success':
        out['children'] = _children(h, image.get_layers()[0])
    image.delete()


def scenario_animate_image(h, out):
    """Frames into a new image, top-level layers only, the user's image untouched."""
    image = h.make_image()
    layers_before = [h.describe(layer) for layer in image.get_layers()]
    images_before = set(i.get_id() for i in Gimp.get_images())
    Gimp.Selection.none(image)
    status, message, seconds = h.run_procedure(
        'latent-bridge-animate', image, [image.get_layers()[0]], new_images=1, prompt='red',
        **{'to-prompt': 'blue'}, steps=3, guidance=1.0, seed=3, frames=3, area='canvas', target='image',
        timeout=180, preview=False)
    out.update(status=status, message=message, seconds=seconds, layers_before=layers_before,
               layers_after=[h.describe(layer) for layer in image.get_layers()])
    for new in [i for i in Gimp.get_images() if i.get_id() not in images_before]:
        out['new_image'] = {'size': [new.get_width(), new.get_height()], 'dirty': new.is_dirty(),
                            'layers': [dict(h.describe(layer), mean_rgb=_mean_rgb(h, layer))
                                       for layer in new.get_layers()]}
        new.delete()
    image.delete()


def scenario_prompt_list(h, out):
    image = h.make_image()
    layers_before = [h.describe(layer) for layer in image.get_layers()]
    Gimp.Selection.none(image)
    status, message, seconds = h.run_procedure(
        'latent-bridge-prompt-list', image, [image.get_layers()[0]], prompts='red\n\n  blue  \n', steps=3,
        guidance=1.0, seed=11, area='selection', timeout=180, preview=False)
    out.update(status=status, message=message, seconds=seconds, layers_before=layers_before,
               layers_after=[h.describe(layer) for layer in image.get_layers()])
    if status == 'success':
        out['children'] = _children(h, image.get_layers()[0])
    image.delete()


def scenario_generate_mixed(h, out):
    """A mixed prompt in embedding mode, with a variation: the options reach the bridge."""
    image = h.make_image()
    Gimp.Selection.none(image)
    status, message, seconds = h.run_procedure(
        'latent-bridge-generate', image, [image.get_layers()[0]], prompt='red :0.5 | blue :0.5', steps=3,
        guidance=1.0, seed=4, batch=1, area='canvas', timeout=120, preview=False,
        **{'mix-mode': 'embeddings', 'variation-seed': 99, 'variation-strength': 0.5})
    out.update(status=status, message=message, seconds=seconds)
    if status == 'success':
        layer = image.get_layers()[0]
        out['result'] = h.describe(layer)
        out['mean_rgb'] = _mean_rgb(h, layer)
    image.delete()


def scenarios(h):
    return {
        'animate': lambda out: scenario_animate(h, out),
        'animate_image': lambda out: scenario_animate_image(h, out),
        'prompt_list': lambda out: scenario_prompt_list(h, out),
        'generate_mixed': lambda out: scenario_generate_mixed(h, out),
    }
