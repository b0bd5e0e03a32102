"""Whole single-file checkpoints for the import tests: the text encoder(s), UNet and VAE of one
family at small widths, in the layout real files have (CompVis for SD 1.x, CompVis + OpenCLIP for
SD 2.x, SGM for SDXL), built from the original-module reimplementations the component tests use
(text_vae_fixture.py, ldm_unet_reference.py) with widths that fit together: the UNet's context is
the text encoders' width, SDXL's label_emb takes encoder 2's projection + 6 time-id embeddings.

Writes OUT/model.safetensors, OUT/model.ckpt (A1111's {'state_dict', 'global_step'} wrapper) and
OUT/reference.safetensors: each component's inputs and torch outputs, named "<component>.in.<input>"
and "<component>.out.<output>" after the ONNX folder's components and their input/output names.

usage: /usr/bin/python3 checkpoint_fixture.py --case sd1|sd2|sdxl|sdxl-full-depth [--inpaint] --dtype fp32|fp16 --out DIR
"""
import argparse
import importlib.util
import os
import sys
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# Source tree or dist/: the graph reference lives beside graphs/testing either way.
UNET_REF = os.path.normpath(os.path.join(HERE, "..", "..", "..", "graphs", "testing", "ldm_unet_reference.py"))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tv = load("text_vae_fixture", os.path.join(HERE, "text_vae_fixture.py"))
ur = load("ldm_unet_reference", UNET_REF)

CLIP_L = (128, 2, 256, 3)
OPEN_CLIP_SD2 = (128, 2, 256, 3, 96)
OPEN_CLIP_G = (192, 3, 384, 3, 160)
# Four VAE levels: the factor-8 latent grid every SD pipeline assumes.
VAE = (32, [1, 2, 2, 2], 1)
# "sdxl-full-depth" (the families bench): SDXL's own UNet layout (channel_mult [1, 2, 4], transformer
# depth [0, 2, 10], 64-channel heads) at a fifth of its width, and SD's own VAE layout (128·[1, 2, 4, 4],
# two resnets a level) at a quarter, the narrowest that 32-group GroupNorm allows. The tiny fixtures'
# VAE costs 1.6 of their UNet calls in multiply-adds at 1024² where SDXL's costs 0.77; this pair
# costs 0.96, so the VAE still weighs a little more than in the real model.
SDXL_FULL_DEPTH_UNET = dict(in_channels=4, model_channels=64, channel_mult=[1, 2, 4], attention_resolutions=[2, 4],
                            num_res_blocks=2, num_heads=-1, num_head_channels=64, transformer_depth=[0, 2, 10],
                            context_dim=96, use_linear=True, adm_in_channels=32 + 6 * 256)
SDXL_FULL_DEPTH_VAE = (32, [1, 2, 4, 4], 2)


def unet_config(case, inpaint):
    cfg = dict(SDXL_FULL_DEPTH_UNET if case == "sdxl-full-depth" else ur.CASES[case])
    cfg["in_channels"] = 9 if inpaint else 4
    if case == "sd1":
        cfg["context_dim"] = CLIP_L[0]
    elif case == "sd2":
        cfg["context_dim"] = OPEN_CLIP_SD2[0]
    else:  # both SDXL cases
        cfg["context_dim"] = CLIP_L[0] + OPEN_CLIP_G[0]
        cfg["adm_in_channels"] = OPEN_CLIP_G[4] + 6 * 256
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=["sd1", "sd2", "sdxl", "sdxl-full-depth"])
    ap.add_argument("--inpaint", action="store_true")
    ap.add_argument("--dtype", required=True, choices=["fp32", "fp16"])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    full_depth = a.case == "sdxl-full-depth"
    if full_depth:
        a.case = "sdxl"
    store = torch.float16 if a.dtype == "fp16" else torch.float32
    gen = torch.Generator().manual_seed({"sd1": 11, "sd2": 12, "sdxl": 13}[a.case] + (100 if a.inpaint else 0))
    torch.set_grad_enabled(False)
    single, ref = OrderedDict(), OrderedDict()
    contexts, pooled = [], None

    if a.case in ("sd1", "sdxl"):
        clip = tv.OpenAIClipText(*CLIP_L)
        tv.init_(clip, gen)
        tv.rounded(clip, store)
        ids = tv.input_ids(None)
        last, pooler, hidden = clip.text_model(ids)
        ref["text_encoder.in.input_ids"] = ids
        ref["text_encoder.out.last_hidden_state"] = last
        ref["text_encoder.out.pooler_output"] = pooler
        prefix = "cond_stage_model.transformer." if a.case == "sd1" else "conditioner.embedders.0.transformer."
        for k, v in clip.state_dict().items():
            single[prefix + k] = v
        contexts.append(last if a.case == "sd1" else hidden[-2])

    if a.case in ("sd2", "sdxl"):
        dims = OPEN_CLIP_SD2 if a.case == "sd2" else OPEN_CLIP_G
        oc = tv.OpenClipText(*dims)
        tv.init_(oc, gen)
        tv.rounded(oc, store)
        name = "text_encoder" if a.case == "sd2" else "text_encoder_2"
        ids = tv.input_ids(None if a.case == "sd2" else 0)
        hidden = oc(ids)
        ref[f"{name}.in.input_ids"] = ids
        if a.case == "sd2":
            last = oc.ln_final(hidden[-2])
            ref[f"{name}.out.last_hidden_state"] = last
            contexts.append(last)
        else:
            last = oc.ln_final(hidden[-1])
            pooled = last[torch.arange(2), ids.argmax(dim=-1)] @ oc.text_projection
            ref[f"{name}.out.last_hidden_state"] = last
            ref[f"{name}.out.text_embeds"] = pooled
            contexts.append(hidden[-2])
        prefix = "cond_stage_model.model." if a.case == "sd2" else "conditioner.embedders.1.model."
        for k, v in oc.state_dict().items():
            single[prefix + k] = v

    cfg = unet_config("sdxl-full-depth" if full_depth else a.case, a.inpaint)
    unet = ur.UNetModel(**cfg).to(torch.float64)
    ur.randomize(unet, gen)
    for p in unet.parameters():
        p.copy_(p.to(store).to(torch.float64))
    for k, v in unet.state_dict().items():
        single["model.diffusion_model." + k] = v.to(torch.float32)
    # The DDPM buffers real files carry (SD's scaled-linear schedule).
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    single["betas"] = betas.to(torch.float32)
    single["alphas_cumprod"] = torch.cumprod(1 - betas, 0).to(torch.float32)

    context = torch.cat(contexts, dim=-1).to(torch.float64)
    sample = torch.randn(2, cfg["in_channels"], 8, 12, generator=gen).to(store).to(torch.float64)
    timestep = torch.tensor([417.0, 417.0], dtype=torch.float64)
    y = None
    if cfg["adm_in_channels"] is not None:
        time_ids = torch.tensor([[512, 768, 0, 0, 512, 768], [512, 768, 0, 0, 512, 768]], dtype=torch.float64)
        text_embeds = pooled.to(torch.float64)
        y = torch.cat([text_embeds, ur.timestep_embedding(time_ids.flatten(), 256).reshape(2, -1)], dim=-1)
        ref["unet.in.text_embeds"] = text_embeds
        ref["unet.in.time_ids"] = time_ids
    ref["unet.in.sample"] = sample
    ref["unet.in.timestep"] = timestep[:1]
    ref["unet.in.encoder_hidden_states"] = context
    ref["unet.out.out_sample"] = unet(sample, timestep, context, y)

    ch, mult, nres = SDXL_FULL_DEPTH_VAE if full_depth else VAE
    vae = tv.AutoencoderKL(ch, mult, nres)
    tv.init_(vae, gen)
    tv.rounded(vae, store)
    image = torch.rand((1, 3, 64, 48), generator=gen) * 2 - 1
    mean, logvar = vae.quant_conv(vae.encoder(image)).chunk(2, dim=1)
    latent = torch.randn((1, 4, 8, 6), generator=gen)
    ref["vae_encoder.in.sample"] = image
    ref["vae_encoder.out.latent_mean"] = mean
    ref["vae_decoder.in.latent_sample"] = latent
    ref["vae_decoder.out.sample"] = vae.decoder(vae.post_quant_conv(latent))
    for k, v in vae.state_dict().items():
        single["first_stage_model." + k] = v

    os.makedirs(a.out, exist_ok=True)
    cast = lambda t: t.to(store) if t.is_floating_point() and t.dim() > 0 and t.numel() != 1000 else t
    tensors = OrderedDict((k, cast(v)) for k, v in single.items())
    tv.save_safetensors(os.path.join(a.out, "model.safetensors"), tensors, {"format": "pt"})
    torch.save({"state_dict": tensors, "global_step": 1}, os.path.join(a.out, "model.ckpt"))
    tv.save_safetensors(os.path.join(a.out, "reference.safetensors"),
                        OrderedDict((k, (v.to(torch.float32) if v.is_floating_point() else v).contiguous()) for k, v in ref.items()))


if __name__ == "__main__":
    main()
