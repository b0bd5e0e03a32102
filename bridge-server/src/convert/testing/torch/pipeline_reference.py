"""diffusers' txt2img loop (StableDiffusionPipeline / StableDiffusionXLPipeline with
EulerDiscreteScheduler), reproduced in torch on the modules of a checkpoint_fixture.py checkpoint,
as the reference the pipeline tests compare the bridge with.

What it follows, from diffusers' source: prompt encoding (SD 1.x last_hidden_state; SD 2.x the
penultimate layer through the final LayerNorm; SDXL hidden_states[-2] of both encoders
concatenated, pooled text_embeds of encoder 2, zeros for an empty negative prompt when
force_zeros_for_empty_prompt), add_time_ids = original size + crop (0, 0) + target size for both
branches, EulerDiscreteScheduler.set_timesteps for leading / linspace / trailing spacing with
linear sigma interpolation, init_noise_sigma, scale_model_input, the epsilon and v-prediction
steps, classifier-free guidance on a batch [uncond, cond], prepare_latents' CPU torch.randn with a
seeded generator, and the decode (latents / scaling_factor, post_quant_conv, decoder, x/2+0.5
clamped).

Tokens: the prompts are lists of plain words; each word is looked up as "<word></w>" in CLIP's
vocab.json (no BPE needed for whole-word tokens), BOS + words + EOS, padded to 77 with EOS
(CLIP's tokenizer) or "!" (id 0: OpenCLIP's, SD 2.x and SDXL's tokenizer_2).

usage: pipeline_reference.py FIXTURE_DIR --case sd1|sd2|sdxl --dtype fp32|fp16 --vocab VOCAB.json
       --prompt "a red house" --negative "" --seed N --steps N --guidance G --width W --height H
       --spacing leading --prediction epsilon --out OUT.safetensors
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import checkpoint_fixture as cf  # noqa: E402

tv, ur = cf.tv, cf.ur
BOS, EOS = 49406, 49407


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64}[v["dtype"]]
        a, b = v["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=dt).reshape(v["shape"])
        t = torch.from_numpy(arr.copy())
        out[k] = t.float() if t.is_floating_point() else t
    return out


def load_prefixed(module, tensors, prefix, dtype=torch.float32):
    sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in sd.items()}, strict=False)
    assert not unexpected, unexpected
    assert all(m.endswith("position_ids") for m in missing), missing
    return module


def ids_for(words, vocab, pad):
    ids = [BOS] + [vocab[w + "</w>"] for w in words.split()] + [EOS]
    return torch.tensor([ids + [pad] * (77 - len(ids))], dtype=torch.int64)


def euler_timesteps(steps, spacing, offset, alphas_cumprod):
    n = 1000
    if spacing == "linspace":
        ts = np.linspace(0, n - 1, steps, dtype=np.float32)[::-1].copy()
    elif spacing == "leading":
        ratio = n // steps
        ts = (np.arange(0, steps) * ratio).round()[::-1].copy().astype(np.float32) + offset
    else:
        ratio = n / steps
        ts = np.arange(n, 0, -ratio).round().copy().astype(np.float32) - 1
    sigmas = np.array(((1 - alphas_cumprod) / alphas_cumprod) ** 0.5)
    sig = np.interp(ts, np.arange(0, len(sigmas)), sigmas)
    sig = np.concatenate([sig, [0.0]]).astype(np.float32)
    init = float(sig.max()) if spacing in ("linspace", "trailing") else float((sig.max() ** 2 + 1) ** 0.5)
    return torch.from_numpy(ts), torch.from_numpy(sig), init


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture")
    ap.add_argument("--case", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--negative", default="")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--guidance", type=float, required=True)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--spacing", default="leading")
    ap.add_argument("--offset", type=int, default=1)
    ap.add_argument("--prediction", default="epsilon")
    ap.add_argument("--init", help="raw RGBA8 source image of --width x --height (img2img)")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--latent-mask", dest="latent_mask", help="raw 8-bit latent-grid repaint mask replacing the resized --mask")
    ap.add_argument("--mask", help="raw 8-bit repaint mask (255 = repaint), 4-channel UNet inpainting at strength 1")
    ap.add_argument("--nine", action="store_true", help="the fixture's UNet takes 9 channels (--inpaint fixture): inpainting with the UNet, at strength 1")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    vocab = json.load(open(a.vocab))
    w = read_safetensors(os.path.join(a.fixture, "model.safetensors"))

    def encode(words, pad_negative):
        """(context [1,77,C], pooled [1,P] or None) for one prompt."""
        parts, pooled = [], None
        if a.case in ("sd1", "sdxl"):
            clip = tv.OpenAIClipText(*cf.CLIP_L)
            load_prefixed(clip, w, "cond_stage_model.transformer." if a.case == "sd1" else "conditioner.embedders.0.transformer.")
            last, _, hidden = clip.text_model(ids_for(words, vocab, EOS))
            parts.append(last if a.case == "sd1" else hidden[-2])
        if a.case in ("sd2", "sdxl"):
            dims = cf.OPEN_CLIP_SD2 if a.case == "sd2" else cf.OPEN_CLIP_G
            oc = tv.OpenClipText(*dims)
            load_prefixed(oc, w, "cond_stage_model.model." if a.case == "sd2" else "conditioner.embedders.1.model.")
            ids = ids_for(words, vocab, 0)
            hidden = oc(ids)
            if a.case == "sd2":
                parts.append(oc.ln_final(hidden[-2]))
            else:
                parts.append(hidden[-2])
                pooled = oc.ln_final(hidden[-1])[torch.arange(1), ids.argmax(dim=-1)] @ oc.text_projection
        return torch.cat(parts, dim=-1), pooled

    cond, pooled = encode(a.prompt, False)
    if a.case == "sdxl" and a.negative == "":
        uncond, upooled = torch.zeros_like(cond), torch.zeros_like(pooled)
    else:
        uncond, upooled = encode(a.negative, True)

    cfg = cf.unet_config(a.case, a.nine)
    unet = ur.UNetModel(**cfg)
    load_prefixed(unet, w, "model.diffusion_model.")
    unet = unet.to(torch.float64)
    ch, mult, nres = cf.VAE
    vae = tv.AutoencoderKL(ch, mult, nres)
    load_prefixed(vae, w, "first_stage_model.")

    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas_cumprod = torch.cumprod(1 - betas.float(), 0).numpy()
    ts, sigmas, init = euler_timesteps(a.steps, a.spacing, a.offset, alphas_cumprod)

    gen = torch.Generator().manual_seed(a.seed)
    shape = (1, 4, a.height // 8, a.width // 8)
    scaling = 0.13025 if a.case == "sdxl" else 0.18215
    def read_image():
        rgba = np.frombuffer(open(a.init, "rb").read(), dtype=np.uint8).reshape(a.height, a.width, 4)
        return torch.from_numpy(rgba[:, :, :3].astype(np.float32) / 255.0).permute(2, 0, 1)[None] * 2 - 1

    def encode_sample(image):
        mean, logvar = vae.quant_conv(vae.encoder(image)).chunk(2, dim=1)
        std = torch.exp(0.5 * logvar.clamp(-30.0, 20.0))
        return scaling * (mean + std * torch.randn(mean.shape, generator=gen, dtype=torch.float32))

    blend = None
    extra = None
    if a.nine:
        # StableDiffusion(XL)InpaintPipeline with a 9-channel UNet at strength 1: prepare_latents
        # draws only the noise (no image latents: is_strength_max and not return_image_latents),
        # then prepare_mask_latents encodes the masked image (init_image * (mask < 0.5)) with the
        # generator and resizes the binarized mask to the latent grid (nearest); every UNet input
        # is [scaled latents, mask, masked-image latents]; nothing is blended after a step.
        image = read_image()
        latents = torch.randn(shape, generator=gen, dtype=torch.float32) * init
        m = torch.from_numpy(np.frombuffer(open(a.mask, "rb").read(), dtype=np.uint8).reshape(1, 1, a.height, a.width).astype(np.float32) / 255.0)
        m = (m >= 0.5).float()
        masked_latents = encode_sample(image * (m < 0.5))
        m = torch.nn.functional.interpolate(m, size=(a.height // 8, a.width // 8))
        extra = torch.cat([m, masked_latents], dim=1).to(torch.float64)
    elif a.mask is not None:
        # StableDiffusion(XL)InpaintPipeline with a 4-channel UNet: image latents (drawn first), the
        # noise, then the masked image's encode (drawn, unused by a 4-channel UNet); the mask
        # binarized and resized to the latent grid (nearest); after each step the kept area takes the
        # image latents noised to the next step's sigma, the clean ones after the last.
        image = read_image()
        image_latents = encode_sample(image)
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        latents = noise * init
        m = torch.from_numpy(np.frombuffer(open(a.mask, "rb").read(), dtype=np.uint8).reshape(1, 1, a.height, a.width).astype(np.float32) / 255.0)
        m = (m >= 0.5).float()
        encode_sample(image * (m < 0.5))
        if a.latent_mask is None:
            m = torch.nn.functional.interpolate(m, size=(a.height // 8, a.width // 8))
        else:
            # The one place the bridge departs from diffusers on purpose: its latent repaint mask
            # also covers the cells around the selection (its seam rule, tested on its own), so
            # the test hands that grid over and everything else is compared.
            cells = np.frombuffer(open(a.latent_mask, "rb").read(), dtype=np.uint8).astype(np.float32) / 255.0
            m = torch.from_numpy(cells.reshape(1, 1, a.height // 8, a.width // 8).copy())
        blend = (image_latents, noise, m)
    elif a.init is None:
        latents = torch.randn(shape, generator=gen, dtype=torch.float32) * init
    else:
        # Img2Img pipelines' get_timesteps, prepare_latents (posterior sampled with the generator,
        # then the noise) and EulerDiscreteScheduler.add_noise at the first kept step (set_begin_index).
        kept = min(int(a.steps * a.strength), a.steps)
        start = max(a.steps - kept, 0)
        ts, sigmas = ts[start:], sigmas[start:]
        rgba = np.frombuffer(open(a.init, "rb").read(), dtype=np.uint8).reshape(a.height, a.width, 4)
        image = torch.from_numpy(rgba[:, :, :3].astype(np.float32) / 255.0).permute(2, 0, 1)[None] * 2 - 1
        mean, logvar = vae.quant_conv(vae.encoder(image)).chunk(2, dim=1)
        std = torch.exp(0.5 * logvar.clamp(-30.0, 20.0))
        posterior = mean + std * torch.randn(mean.shape, generator=gen, dtype=torch.float32)
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        latents = scaling * posterior + noise * float(sigmas[0])
    context = torch.cat([uncond, cond]).to(torch.float64)
    y = None
    if a.case == "sdxl":
        time_ids = torch.tensor([[a.height, a.width, 0, 0, a.height, a.width]] * 2, dtype=torch.float64)
        emb = torch.cat([upooled, pooled]).to(torch.float64)
        y = torch.cat([emb, ur.timestep_embedding(time_ids.flatten(), 256).reshape(2, -1)], dim=-1)
    guided = a.guidance > 1.0
    calls = 0
    for i, t in enumerate(ts):
        sigma = float(sigmas[i])
        x = latents.to(torch.float64) / ((sigma ** 2 + 1) ** 0.5)
        if extra is not None:
            x = torch.cat([x, extra], dim=1)
        if guided:
            out = unet(torch.cat([x, x]), torch.full((2,), float(t), dtype=torch.float64), context, y)
            u, c = out.chunk(2)
            eps = u + a.guidance * (c - u)
        else:
            out = unet(x, torch.full((1,), float(t), dtype=torch.float64), context[1:], None if y is None else y[1:])
            eps = out
        calls += 1
        sample = latents.to(torch.float64)
        if a.prediction == "epsilon":
            x0 = sample - sigma * eps
        else:
            x0 = eps * (-sigma / (sigma ** 2 + 1) ** 0.5) + sample / (sigma ** 2 + 1)
        d = (sample - x0) / sigma
        latents = (sample + d * (float(sigmas[i + 1]) - sigma)).to(torch.float32)
        if blend is not None:
            image_latents, noise, m = blend
            proper = image_latents + noise * float(sigmas[i + 1]) if i < len(ts) - 1 else image_latents
            latents = (1 - m) * proper + m * latents
    image = vae.decoder(vae.post_quant_conv(latents / scaling))
    image = (image / 2 + 0.5).clamp(0, 1)
    tv.save_safetensors(a.out, {"image": image.contiguous(), "latents": latents.contiguous(), "calls": torch.tensor([calls], dtype=torch.int64)})


if __name__ == "__main__":
    main()
