"""Private torch reference for the text-encoder and VAE import (until the shared torch fixtures land).

Small random-weight modules written after the ORIGINAL implementations, with their natural
parameter names, so the checkpoints carry real key layouts:
  - OpenAI CLIP text model as transformers' CLIPTextModel names it (SD 1.x / SDXL encoder 1),
  - OpenCLIP's text tower (token_embedding, positional_embedding, transformer.resblocks.N with
    nn.MultiheadAttention, mlp.c_fc/c_proj, ln_final, text_projection) as SD 2 / SDXL encoder 2,
  - CompVis LDM AutoencoderKL (encoder.down.i.block.j, mid.attn_1 with 1x1-conv q/k/v, decoder.up
    counted from full resolution, nin_shortcut, quant_conv, post_quant_conv).
Writes DIR/model.safetensors (single-file layout for the case), DIR/diffusers/{text_encoder,
text_encoder_2, vae}/ with diffusers names (mapped here by an independent table), and
DIR/reference.safetensors with fixed inputs and outputs computed in float32 from the stored
(possibly fp16-rounded) weights.

usage: /usr/bin/python3 text_vae_fixture.py --case sd1|sd2|sdxl --dtype fp32|fp16 --out DIR
"""
import argparse
import json
import math
import os
import struct
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 49408
BOS, EOS = 49406, 49407


# ---------------------------------------------------------------------------- safetensors writer
def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------- transformers CLIP
class CLIPAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        b, s, d = x.shape
        hd = d // self.heads
        split = lambda t: t.view(b, s, self.heads, hd).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        w = torch.matmul(q, k.transpose(-1, -2)) * hd ** -0.5 + mask
        o = torch.matmul(torch.softmax(w, dim=-1), v).transpose(1, 2).reshape(b, s, d)
        return self.out_proj(o)


class CLIPMLP(nn.Module):
    def __init__(self, d, inner, act):
        super().__init__()
        self.act = act
        self.fc1, self.fc2 = nn.Linear(d, inner), nn.Linear(inner, d)

    def forward(self, x):
        h = self.fc1(x)
        h = h * torch.sigmoid(1.702 * h) if self.act == "quick_gelu" else F.gelu(h)
        return self.fc2(h)


class CLIPEncoderLayer(nn.Module):
    def __init__(self, d, heads, inner, act):
        super().__init__()
        self.self_attn = CLIPAttention(d, heads)
        self.layer_norm1 = nn.LayerNorm(d)
        self.mlp = CLIPMLP(d, inner, act)
        self.layer_norm2 = nn.LayerNorm(d)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextTransformer(nn.Module):
    def __init__(self, d, heads, inner, layers, act):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.token_embedding = nn.Embedding(VOCAB, d)
        self.embeddings.position_embedding = nn.Embedding(77, d)
        self.embeddings.register_buffer("position_ids", torch.arange(77).expand((1, -1)))
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(CLIPEncoderLayer(d, heads, inner, act) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, ids):
        s = ids.shape[1]
        x = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding(self.embeddings.position_ids[:, :s])
        mask = torch.full((s, s), torch.finfo(torch.float32).min).triu(1)
        hidden = [x]
        for layer in self.encoder.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = self.final_layer_norm(x)
        pooled = last[torch.arange(last.shape[0]), ids.argmax(dim=-1)]  # eos_token_id 2 configs
        return last, pooled, hidden


class OpenAIClipText(nn.Module):
    """FrozenCLIPEmbedder's `transformer` (transformers.CLIPTextModel)."""

    def __init__(self, d, heads, inner, layers):
        super().__init__()
        self.text_model = CLIPTextTransformer(d, heads, inner, layers, "quick_gelu")


# ---------------------------------------------------------------------------- OpenCLIP text tower
class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, inner):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(d, inner)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(inner, d))]))

    def forward(self, x, mask):  # x: [L, N, D] as open_clip runs it
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class OpenClipText(nn.Module):
    def __init__(self, d, heads, inner, layers, proj):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, d)
        self.positional_embedding = nn.Parameter(torch.empty(77, d))
        self.transformer = nn.Module()
        self.transformer.resblocks = nn.ModuleList(ResidualAttentionBlock(d, heads, inner) for _ in range(layers))
        self.ln_final = nn.LayerNorm(d)
        self.text_projection = nn.Parameter(torch.empty(d, proj))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def forward(self, ids):
        s = ids.shape[1]
        x = self.token_embedding(ids) + self.positional_embedding[:s]
        mask = torch.full((s, s), float("-inf")).triu(1)
        x = x.permute(1, 0, 2)
        hidden = [x.permute(1, 0, 2)]
        for block in self.transformer.resblocks:
            x = block(x, mask)
            hidden.append(x.permute(1, 0, 2))
        return hidden


# ---------------------------------------------------------------------------- CompVis LDM AutoencoderKL
def Normalize(c):
    return nn.GroupNorm(32, c, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = Normalize(cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2, self.conv2 = Normalize(cout), nn.Conv2d(cout, cout, 3, 1, 1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x) + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = Normalize(c)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        h = self.norm(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        b, c, hh, ww = q.shape
        q = q.reshape(b, c, hh * ww).permute(0, 2, 1)
        k = k.reshape(b, c, hh * ww)
        w = torch.softmax(torch.bmm(q, k) * (int(c) ** -0.5), dim=2)
        h = torch.bmm(v.reshape(b, c, hh * ww), w.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.proj_out(h)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Mid(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = ResnetBlock(c, c), AttnBlock(c), ResnetBlock(c, c)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, ch, mult, nres, z):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch, 3, 1, 1)
        self.down = nn.ModuleList()
        cin = ch
        for i, m in enumerate(mult):
            level = nn.Module()
            level.block = nn.ModuleList()
            for _ in range(nres):
                level.block.append(ResnetBlock(cin, ch * m))
                cin = ch * m
            level.attn = nn.ModuleList()
            if i != len(mult) - 1:
                level.downsample = Downsample(cin)
            self.down.append(level)
        self.mid = Mid(cin)
        self.norm_out = Normalize(cin)
        self.conv_out = nn.Conv2d(cin, 2 * z, 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            for block in level.block:
                h = block(h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        return self.conv_out(F.silu(self.norm_out(self.mid(h))))


class Decoder(nn.Module):
    def __init__(self, ch, mult, nres, z):
        super().__init__()
        cin = ch * mult[-1]
        self.conv_in = nn.Conv2d(z, cin, 3, 1, 1)
        self.mid = Mid(cin)
        self.up = nn.ModuleList()
        for i in reversed(range(len(mult))):
            level = nn.Module()
            level.block = nn.ModuleList()
            for _ in range(nres + 1):
                level.block.append(ResnetBlock(cin, ch * mult[i]))
                cin = ch * mult[i]
            level.attn = nn.ModuleList()
            if i != 0:
                level.upsample = Upsample(cin)
            self.up.insert(0, level)
        self.norm_out = Normalize(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, 1, 1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for i in reversed(range(len(self.up))):
            for block in self.up[i].block:
                h = block(h)
            if hasattr(self.up[i], "upsample"):
                h = self.up[i].upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, ch, mult, nres, z=4):
        super().__init__()
        self.encoder, self.decoder = Encoder(ch, mult, nres, z), Decoder(ch, mult, nres, z)
        self.quant_conv, self.post_quant_conv = nn.Conv2d(2 * z, 2 * z, 1), nn.Conv2d(z, z, 1)


# ---------------------------------------------------------------------------- diffusers names (independent table)
def diffusers_clip(sd):
    return {k: v for k, v in sd.items() if not k.endswith("position_ids")}


def diffusers_open_clip(sd, drop_last, projection):
    layers = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("transformer.resblocks."))
    out = {}
    for k, v in sd.items():
        if k == "logit_scale":
            continue
        if k == "token_embedding.weight":
            out["text_model.embeddings.token_embedding.weight"] = v
        elif k == "positional_embedding":
            out["text_model.embeddings.position_embedding.weight"] = v
        elif k.startswith("ln_final."):
            out["text_model.final_layer_norm." + k.split(".")[-1]] = v
        elif k == "text_projection":
            if projection:
                out["text_projection.weight"] = v.t().contiguous()
        else:
            _, _, n, *rest = k.split(".")
            if drop_last and int(n) == layers - 1:
                continue
            base = f"text_model.encoder.layers.{n}."
            name = ".".join(rest)
            if name.startswith("attn.in_proj_"):
                kind = name.split("_")[-1]
                for part, t in zip("qkv", v.chunk(3, dim=0)):
                    out[base + f"self_attn.{part}_proj.{kind}"] = t.contiguous()
            else:
                name = (name.replace("ln_1", "layer_norm1").replace("ln_2", "layer_norm2").replace("attn.out_proj", "self_attn.out_proj")
                        .replace("mlp.c_fc", "mlp.fc1").replace("mlp.c_proj", "mlp.fc2"))
                out[base + name] = v
    return out


def diffusers_vae(sd, levels):
    out = {}
    for k, v in sd.items():
        p = k.split(".")
        if p[0] in ("quant_conv", "post_quant_conv"):
            out[k] = v
            continue
        half, rest = p[0], p[1:]
        if rest[0] == "norm_out":
            name = ["conv_norm_out"] + rest[1:]
        elif rest[0] in ("down", "up"):
            i = int(rest[1]) if rest[0] == "down" else levels - 1 - int(rest[1])
            blocks = "down_blocks" if rest[0] == "down" else "up_blocks"
            if rest[2] == "block":
                name = [blocks, str(i), "resnets", rest[3]] + ["conv_shortcut" if rest[4] == "nin_shortcut" else rest[4], rest[5]]
            else:  # downsample / upsample
                name = [blocks, str(i), "downsamplers" if rest[0] == "down" else "upsamplers", "0", "conv", rest[-1]]
        elif rest[0] == "mid":
            if rest[1].startswith("block_"):
                name = ["mid_block", "resnets", str(int(rest[1][-1]) - 1)] + ["conv_shortcut" if rest[2] == "nin_shortcut" else rest[2], rest[3]]
            else:
                part = {"norm": "group_norm", "q": "to_q", "k": "to_k", "v": "to_v", "proj_out": "to_out.0"}[rest[2]]
                name = ["mid_block", "attentions", "0", part, rest[3]]
                if rest[3] == "weight" and v.dim() == 4:
                    v = v[:, :, 0, 0].contiguous()
        else:
            name = rest
        out[".".join([half] + name)] = v
    return out


# ---------------------------------------------------------------------------- cases
CASES = {
    # width 128 / 192: head_dim 64 as every SD text encoder; VAE GroupNorm(32).
    "sd1": {"clip": (128, 2, 256, 3), "vae": (32, [1, 2, 2], 1), "clip_prefix": "cond_stage_model.transformer."},
    "sd2": {"open_clip": (128, 2, 256, 3, 96), "vae": (32, [1, 2], 2), "oc_prefix": "cond_stage_model.model."},
    "sdxl": {"clip": (128, 2, 256, 3), "open_clip": (192, 3, 384, 3, 160), "vae": (32, [1, 2, 2], 1),
             "clip_prefix": "conditioner.embedders.0.transformer.", "oc_prefix": "conditioner.embedders.1.model."},
}


def init_(module, gen):
    for name, p in module.named_parameters():
        if name.endswith("logit_scale"):
            continue
        with torch.no_grad():
            if p.dim() == 1 and ("norm" in name or name.startswith("ln") or ".ln_" in name):
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p.shape[1] * (p[0, 0].numel() if p.dim() > 2 else 1) if "embedding" not in name else 1
                std = 0.5 if fan_in == 1 else 1.0 / math.sqrt(fan_in)
                p.copy_(std * torch.randn(p.shape, generator=gen))


def rounded(module, dtype):
    """Round the weights to the stored dtype, compute in float32."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.to(dtype).float())


def input_ids(pad2):
    ids = torch.full((2, 77), EOS, dtype=torch.int64)
    gen = torch.Generator().manual_seed(7)
    ids[0, 0], ids[1, 0] = BOS, BOS
    ids[0, 1:9] = torch.randint(400, 40000, (8,), generator=gen)
    ids[0, 9] = EOS
    ids[1, 1:21] = torch.randint(400, 40000, (20,), generator=gen)
    ids[1, 21] = EOS
    if pad2 is not None:
        ids[0, 10:] = pad2
        ids[1, 22:] = pad2
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=CASES)
    ap.add_argument("--dtype", required=True, choices=["fp32", "fp16"])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    c = CASES[a.case]
    store = torch.float16 if a.dtype == "fp16" else torch.float32
    gen = torch.Generator().manual_seed({"sd1": 1, "sd2": 2, "sdxl": 3}[a.case])
    single, ref, folders = OrderedDict(), OrderedDict(), {}
    torch.set_grad_enabled(False)

    if "clip" in c:
        d, heads, inner, layers = c["clip"]
        clip = OpenAIClipText(d, heads, inner, layers)
        init_(clip, gen)
        rounded(clip, store)
        ids = input_ids(None)
        last, pooled, hidden = clip.text_model(ids)
        ref["text_encoder.in.input_ids"] = ids
        ref["text_encoder.out.last_hidden_state"] = last
        ref["text_encoder.out.pooler_output"] = pooled
        for i, h in enumerate(hidden):
            ref[f"text_encoder.out.hidden_states.{i}"] = h
        sd = clip.state_dict()
        for k, v in sd.items():
            single[c["clip_prefix"] + k] = v
        folders["text_encoder"] = diffusers_clip(sd)

    if "open_clip" in c:
        d, heads, inner, layers, proj = c["open_clip"]
        oc = OpenClipText(d, heads, inner, layers, proj)
        init_(oc, gen)
        rounded(oc, store)
        name = "text_encoder" if a.case == "sd2" else "text_encoder_2"
        ids = input_ids(None if a.case == "sd2" else 0)  # tokenizer_2 pads with "!" (id 0)
        hidden = oc(ids)
        ref[f"{name}.in.input_ids"] = ids
        if a.case == "sd2":
            # FrozenOpenCLIPEmbedder layer="penultimate": ln_final(output of the second-to-last block),
            # which diffusers imports as a CLIPTextModel one layer shorter.
            last = oc.ln_final(hidden[-2])
            ref[f"{name}.out.last_hidden_state"] = last
            ref[f"{name}.out.pooler_output"] = last[torch.arange(2), ids.argmax(dim=-1)]
            for i, h in enumerate(hidden[:-1]):
                ref[f"{name}.out.hidden_states.{i}"] = h
        else:
            last = oc.ln_final(hidden[-1])
            ref[f"{name}.out.last_hidden_state"] = last
            ref[f"{name}.out.text_embeds"] = last[torch.arange(2), ids.argmax(dim=-1)] @ oc.text_projection
            for i, h in enumerate(hidden):
                ref[f"{name}.out.hidden_states.{i}"] = h
        sd = oc.state_dict()
        for k, v in sd.items():
            single[c["oc_prefix"] + k] = v
        folders[name] = diffusers_open_clip(sd, drop_last=a.case == "sd2", projection=a.case != "sd2")

    ch, mult, nres = c["vae"]
    vae = AutoencoderKL(ch, mult, nres)
    init_(vae, gen)
    rounded(vae, store)
    image = torch.rand((1, 3, 48, 40), generator=gen) * 2 - 1
    moments = vae.quant_conv(vae.encoder(image))
    mean, logvar = moments.chunk(2, dim=1)
    latent = torch.randn((1, 4, 6, 5), generator=gen)
    ref["vae_encoder.in.sample"] = image
    ref["vae_encoder.out.mean"] = mean
    ref["vae_encoder.out.logvar"] = logvar.clamp(-30.0, 20.0)
    ref["vae_decoder.in.latent_sample"] = latent
    ref["vae_decoder.out.sample"] = vae.decoder(vae.post_quant_conv(latent))
    sd = vae.state_dict()
    for k, v in sd.items():
        single["first_stage_model." + k] = v
    folders["vae"] = diffusers_vae(sd, len(mult))

    os.makedirs(a.out, exist_ok=True)
    cast = lambda t: t.to(store) if t.is_floating_point() else t
    save_safetensors(os.path.join(a.out, "model.safetensors"), {k: cast(v) for k, v in single.items()})
    torch.save({"state_dict": {k: cast(v) for k, v in single.items()}, "global_step": 1}, os.path.join(a.out, "model.ckpt"))
    infix = ".fp16" if a.dtype == "fp16" else ""
    for name, tensors in folders.items():
        folder = os.path.join(a.out, "diffusers", name)
        os.makedirs(folder, exist_ok=True)
        file = ("diffusion_pytorch_model" if name == "vae" else "model") + infix + ".safetensors"
        save_safetensors(os.path.join(folder, file), {k: cast(v) for k, v in tensors.items()})
    save_safetensors(os.path.join(a.out, "reference.safetensors"), {k: v.contiguous() for k, v in ref.items()})
    with open(os.path.join(a.out, "fixture.json"), "w") as f:
        json.dump({"case": a.case, "dtype": a.dtype, "vae": {"ch": ch, "ch_mult": mult, "num_res_blocks": nres}}, f)


if __name__ == "__main__":
    main()
