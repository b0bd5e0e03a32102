"""A full-size single-file checkpoint with random weights for the import bench: SD 1.5 (CompVis
layout: CLIP ViT-L text encoder, 860M-parameter UNet, AutoencoderKL) or SDXL base (SGM layout: two
text encoders, 2.6B UNet, AutoencoderKL), built from the same original-module reimplementations the
import tests use, stored as fp16 .safetensors the way Civitai files ship. Tensors are written one
at a time, so memory stays near the modules' own float32 size.

usage: /usr/bin/python3 full_checkpoint.py OUT_FILE sd15|sdxl
"""
import importlib.util
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tv = load("text_vae_fixture", os.path.join(SRC, "convert", "testing", "torch", "text_vae_fixture.py"))
ur = load("ldm_unet_reference", os.path.join(SRC, "graphs", "testing", "ldm_unet_reference.py"))

SD15_UNET = dict(in_channels=4, model_channels=320, channel_mult=[1, 2, 4, 4], attention_resolutions=[4, 2, 1],
                 num_res_blocks=2, num_heads=8, num_head_channels=-1, transformer_depth=1, context_dim=768,
                 use_linear=False, adm_in_channels=None)
SDXL_UNET = dict(in_channels=4, model_channels=320, channel_mult=[1, 2, 4], attention_resolutions=[4, 2],
                 num_res_blocks=2, num_heads=-1, num_head_channels=64, transformer_depth=[0, 2, 10],
                 context_dim=2048, use_linear=True, adm_in_channels=2816)


def modules(kind):
    """(prefix, module) pairs in file order."""
    if kind == "sd15":
        yield "cond_stage_model.transformer.", tv.OpenAIClipText(768, 12, 3072, 12)
        yield "model.diffusion_model.", ur.UNetModel(**SD15_UNET)
    else:
        yield "conditioner.embedders.0.transformer.", tv.OpenAIClipText(768, 12, 3072, 12)
        yield "conditioner.embedders.1.model.", tv.OpenClipText(1280, 20, 5120, 32, 1280)
        yield "model.diffusion_model.", ur.UNetModel(**SDXL_UNET)
    yield "first_stage_model.", tv.AutoencoderKL(128, [1, 2, 4, 4], 2)


def write_f16_safetensors(out, entries):
    """Writes (key, shape, make) entries as fp16 .safetensors, calling make() for one tensor at a
    time: the header (all shapes) goes first, then each tensor's bytes, so memory stays at one tensor."""
    header, offset = {}, 0
    for key, shape, _ in entries:
        n = 2 * int(torch.tensor(shape).prod().item()) if shape else 2
        header[key] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for _, _, make in entries:
            f.write(make().to(torch.float16).numpy().tobytes())
    return offset


def main():
    out, kind = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    # Shapes first (modules built one at a time and dropped), values drawn as each tensor is written:
    # small random values, since an import does not care what they are, only how many.
    plan = []
    for prefix, module in modules(kind):
        for key, t in module.state_dict().items():
            plan.append((prefix + key, list(t.shape)))
        del module
    entries = [(key, shape, lambda shape=shape: torch.randn(shape) * 0.02) for key, shape in plan]
    print(json.dumps({"tensors": len(plan), "bytes": write_f16_safetensors(out, entries)}))


if __name__ == "__main__":
    main()
