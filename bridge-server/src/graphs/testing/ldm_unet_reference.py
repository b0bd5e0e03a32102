"""Torch reference for the UNet graph tests: the *original* CompVis/SGM UNetModel (openaimodel.py,
attention.py), reimplemented small with the same module names, so its state dict has the real
LDM key names (input_blocks.N.M..., middle_block, output_blocks, time_embed, label_emb, out).

Writes into OUT: model.safetensors and (fp32) model.ckpt (A1111's {'state_dict', 'global_step'} wrapper)
with `model.diffusion_model.*`, the DDPM buffers real files carry and, for sd1, an EMA copy with
other values under flattened `model_ema.*` names; diffusers/unet/ (weights renamed as diffusers'
convert_ldm_unet_checkpoint does it, step by step, and config.json); model.yaml (the original
inference yaml's UNet section); reference.safetensors (fixed inputs, torch outputs).

    /usr/bin/python3 - OUT --case sd1 --dtype fp32 < ldm_unet_reference.py
"""
import argparse
import json
import math
import os
import sys
from collections import OrderedDict

import torch
from torch import nn
import torch.nn.functional as F

# Small widths with each family's conventions (GroupNorm(32) as LDM's normalization() fixes it).
CASES = {
    # SD 1.x: num_heads 8, conv proj_in/proj_out, attention on every level but the last.
    "sd1": dict(in_channels=4, model_channels=32, channel_mult=[1, 2, 2], attention_resolutions=[1, 2],
                num_res_blocks=2, num_heads=8, num_head_channels=-1, transformer_depth=1, context_dim=48,
                use_linear=False, adm_in_channels=None),
    # SD 2.x: num_head_channels 64, linear projections, context 1024-like.
    "sd2": dict(in_channels=4, model_channels=64, channel_mult=[1, 2, 2], attention_resolutions=[1, 2],
                num_res_blocks=2, num_heads=-1, num_head_channels=64, transformer_depth=1, context_dim=80,
                use_linear=True, adm_in_channels=None),
    # SDXL: no attention on level 0, deeper transformers further down, label_emb (pooled + 6·256).
    "sdxl": dict(in_channels=4, model_channels=64, channel_mult=[1, 2, 2], attention_resolutions=[2, 4],
                 num_res_blocks=2, num_heads=-1, num_head_channels=64, transformer_depth=[0, 1, 2], context_dim=96,
                 use_linear=True, adm_in_channels=32 + 6 * 256),
}
CASES["sd1-inpaint"] = dict(CASES["sd1"], in_channels=9)
CASES["sd1-pix2pix"] = dict(CASES["sd1"], in_channels=8)
CASES["sd2-v"] = dict(CASES["sd2"])
CASES["sdxl-inpaint"] = dict(CASES["sdxl"], in_channels=9)
# LCM-distilled SD 1.x UNet (diffusers only: time_embedding.cond_proj adds the guidance embedding).
CASES["sd1-lcm"] = dict(CASES["sd1"], time_cond_proj_dim=256)
POOLED = 32


def timestep_embedding(timesteps, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float64) / half)
    args = timesteps[:, None].to(torch.float64) * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def normalization(channels):
    return nn.GroupNorm(32, channels)  # eps 1e-5


class TimestepEmbedSequential(nn.Sequential):
    def forward(self, x, emb, context, size=None):
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context)
            elif isinstance(layer, Upsample):
                x = layer(x, size)
            else:
                x = layer(x)
        return x


class ResBlock(nn.Module):
    def __init__(self, channels, emb_channels, out_channels=None):
        super().__init__()
        out_channels = out_channels or channels
        self.in_layers = nn.Sequential(normalization(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(normalization(out_channels), nn.SiLU(), nn.Dropout(0.0),
                                        nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip_connection = nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x, emb):
        h = self.in_layers(x)
        h = h + self.emb_layers(emb)[..., None, None]
        h = self.out_layers(h)
        return self.skip_connection(x) + h


class Downsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x, size=None):
        # size: diffusers' forward_upsample_size (latent sides the UNet's stride does not divide).
        up = F.interpolate(x, scale_factor=2, mode="nearest") if size is None else F.interpolate(x, size=size, mode="nearest")
        return self.conv(up)


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(0.0))

    def forward(self, x, context=None):
        context = x if context is None else context
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        b, n, _ = q.shape
        split = lambda t: t.reshape(b, t.shape[1], self.heads, -1).permute(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        sim = torch.einsum("bhid,bhjd->bhij", q, k) * self.scale
        out = torch.einsum("bhij,bhjd->bhid", sim.softmax(dim=-1), v)
        return self.to_out(out.permute(0, 2, 1, 3).reshape(b, n, -1))


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.Sequential(GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, d_head, context_dim):
        super().__init__()
        self.attn1 = CrossAttention(dim, dim, n_heads, d_head)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(dim, context_dim, n_heads, d_head)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context=context) + x
        return self.ff(self.norm3(x)) + x


class SpatialTransformer(nn.Module):
    def __init__(self, in_channels, n_heads, d_head, depth, context_dim, use_linear):
        super().__init__()
        inner = n_heads * d_head
        self.norm = nn.GroupNorm(32, in_channels, eps=1e-6)
        self.proj_in = nn.Linear(in_channels, inner) if use_linear else nn.Conv2d(in_channels, inner, 1)
        self.transformer_blocks = nn.ModuleList(
            [BasicTransformerBlock(inner, n_heads, d_head, context_dim) for _ in range(depth)])
        self.proj_out = nn.Linear(inner, in_channels) if use_linear else nn.Conv2d(inner, in_channels, 1)
        self.use_linear = use_linear

    def forward(self, x, context):
        b, c, h, w = x.shape
        x_in = x
        x = self.norm(x)
        if not self.use_linear:
            x = self.proj_in(x)
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, -1)
        if self.use_linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.use_linear:
            x = self.proj_out(x)
        x = x.reshape(b, h, w, -1).permute(0, 3, 1, 2)
        if not self.use_linear:
            x = self.proj_out(x)
        return x + x_in


class UNetModel(nn.Module):
    def __init__(self, in_channels, model_channels, channel_mult, attention_resolutions, num_res_blocks,
                 num_heads, num_head_channels, transformer_depth, context_dim, use_linear, adm_in_channels,
                 out_channels=4, time_cond_proj_dim=None):
        super().__init__()
        if isinstance(transformer_depth, int):
            transformer_depth = len(channel_mult) * [transformer_depth]
        self.model_channels = model_channels
        ted = model_channels * 4
        self.time_embed = nn.Sequential(nn.Linear(model_channels, ted), nn.SiLU(), nn.Linear(ted, ted))
        if time_cond_proj_dim is not None:
            # diffusers' TimestepEmbedding.cond_proj (no LDM original; LCM UNets ship as diffusers folders).
            self.time_embed_cond = nn.Linear(time_cond_proj_dim, model_channels, bias=False)
        self.adm = adm_in_channels is not None
        if self.adm:
            self.label_emb = nn.Sequential(nn.Sequential(nn.Linear(adm_in_channels, ted), nn.SiLU(), nn.Linear(ted, ted)))

        def heads_for(ch):
            return (num_heads, ch // num_heads) if num_head_channels == -1 else (ch // num_head_channels, num_head_channels)

        self.input_blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(in_channels, model_channels, 3, padding=1))])
        chans = [model_channels]
        ch = model_channels
        ds = 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, ted, mult * model_channels)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    n, d = heads_for(ch)
                    layers.append(SpatialTransformer(ch, n, d, transformer_depth[level], context_dim, use_linear))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                chans.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(TimestepEmbedSequential(Downsample(ch)))
                chans.append(ch)
                ds *= 2
        n, d = heads_for(ch)
        self.middle_block = TimestepEmbedSequential(
            ResBlock(ch, ted), SpatialTransformer(ch, n, d, transformer_depth[-1], context_dim, use_linear), ResBlock(ch, ted))
        self.output_blocks = nn.ModuleList([])
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                ich = chans.pop()
                layers = [ResBlock(ch + ich, ted, model_channels * mult)]
                ch = model_channels * mult
                if ds in attention_resolutions:
                    n, d = heads_for(ch)
                    layers.append(SpatialTransformer(ch, n, d, transformer_depth[level], context_dim, use_linear))
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))
        self.out = nn.Sequential(normalization(ch), nn.SiLU(), nn.Conv2d(model_channels, out_channels, 3, padding=1))

    def forward(self, x, timesteps, context, y=None, match_skips=False, cond=None):
        t_emb = timestep_embedding(timesteps, self.model_channels).to(x.dtype)
        if cond is not None:
            t_emb = t_emb + self.time_embed_cond(cond)
        emb = self.time_embed(t_emb)
        if self.adm:
            emb = emb + self.label_emb(y)
        hs = []
        h = x
        for module in self.input_blocks:
            h = module(h, emb, context)
            hs.append(h)
        h = self.middle_block(h, emb, context)
        for module in self.output_blocks:
            h = torch.cat([h, hs.pop()], dim=1)
            h = module(h, emb, context, hs[-1].shape[-2:] if match_skips and hs else None)
        return self.out(h)


def randomize(model, gen):
    """Every parameter random (zero_module convs too), norms' scales around 1: nothing cancels out."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            if p.dim() == 1 and ("norm" in name or "in_layers.0" in name or "out_layers.0" in name or name.startswith("out.0")):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen) if name.endswith("weight") else 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))


DTYPES = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout written by hand (8-byte header length, JSON header, data)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for key, t in tensors:
        name, np_dtype = DTYPES[t.dtype]
        data = t.detach().contiguous().numpy().astype(np_dtype).tobytes()
        header[key] = {"dtype": name, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for b in blobs:
            f.write(b)


def to_diffusers(unet_sd, layers_per_block):
    """diffusers' convert_ldm_unet_checkpoint, followed step by step (string replaces on the LDM keys)."""
    new = {}
    for d, l in [("time_embedding.linear_1", "time_embed.0"), ("time_embedding.linear_2", "time_embed.2"),
                 ("conv_in", "input_blocks.0.0"), ("conv_norm_out", "out.0"), ("conv_out", "out.2"),
                 ("add_embedding.linear_1", "label_emb.0.0"), ("add_embedding.linear_2", "label_emb.0.2"),
                 ("time_embedding.cond_proj", "time_embed_cond")]:
        for p in ("weight", "bias"):
            if f"{l}.{p}" in unet_sd:
                new[f"{d}.{p}"] = unet_sd[f"{l}.{p}"]

    def resnet(keys, old, new_prefix):
        for k in keys:
            n = (k.replace("in_layers.0", "norm1").replace("in_layers.2", "conv1").replace("out_layers.0", "norm2")
                 .replace("out_layers.3", "conv2").replace("emb_layers.1", "time_emb_proj").replace("skip_connection", "conv_shortcut"))
            new[n.replace(old, new_prefix)] = unet_sd[k]

    def attention(keys, old, new_prefix):
        for k in keys:
            new[k.replace(old, new_prefix)] = unet_sd[k]

    n_in = len({".".join(k.split(".")[:2]) for k in unet_sd if "input_blocks" in k})
    n_out = len({".".join(k.split(".")[:2]) for k in unet_sd if "output_blocks" in k})
    for i in range(1, n_in):
        b, j = (i - 1) // (layers_per_block + 1), (i - 1) % (layers_per_block + 1)
        keys = [k for k in unet_sd if k.startswith(f"input_blocks.{i}.")]
        resnet([k for k in keys if k.startswith(f"input_blocks.{i}.0.") and ".op." not in k], f"input_blocks.{i}.0", f"down_blocks.{b}.resnets.{j}")
        for p in ("weight", "bias"):
            if f"input_blocks.{i}.0.op.{p}" in unet_sd:
                new[f"down_blocks.{b}.downsamplers.0.conv.{p}"] = unet_sd[f"input_blocks.{i}.0.op.{p}"]
        attention([k for k in keys if k.startswith(f"input_blocks.{i}.1.")], f"input_blocks.{i}.1", f"down_blocks.{b}.attentions.{j}")
    resnet([k for k in unet_sd if k.startswith("middle_block.0.")], "middle_block.0", "mid_block.resnets.0")
    attention([k for k in unet_sd if k.startswith("middle_block.1.")], "middle_block.1", "mid_block.attentions.0")
    resnet([k for k in unet_sd if k.startswith("middle_block.2.")], "middle_block.2", "mid_block.resnets.1")
    for i in range(n_out):
        b, j = i // (layers_per_block + 1), i % (layers_per_block + 1)
        keys = [k for k in unet_sd if k.startswith(f"output_blocks.{i}.")]
        resnet([k for k in keys if k.startswith(f"output_blocks.{i}.0.")], f"output_blocks.{i}.0", f"up_blocks.{b}.resnets.{j}")
        attention([k for k in keys if k.startswith(f"output_blocks.{i}.1.") and ".1.conv." not in k], f"output_blocks.{i}.1", f"up_blocks.{b}.attentions.{j}")
        for s in ("1", "2"):
            for p in ("weight", "bias"):
                if f"output_blocks.{i}.{s}.conv.{p}" in unet_sd:
                    new[f"up_blocks.{b}.upsamplers.0.conv.{p}"] = unet_sd[f"output_blocks.{i}.{s}.conv.{p}"]
    assert len(new) == len(unet_sd), (len(new), len(unet_sd))
    return new


def diffusers_config(cfg, sample_size, upcast):
    """create_unet_diffusers_config_from_ldm's translation, with the keys a saved config.json has."""
    channels = [cfg["model_channels"] * m for m in cfg["channel_mult"]]
    down, up, res = [], [], 1
    for i in range(len(channels)):
        down.append("CrossAttnDownBlock2D" if res in cfg["attention_resolutions"] else "DownBlock2D")
        if i != len(channels) - 1:
            res *= 2
    for i in range(len(channels)):
        up.append("CrossAttnUpBlock2D" if res in cfg["attention_resolutions"] else "UpBlock2D")
        res //= 2
    heads = cfg["num_heads"] if cfg["num_head_channels"] == -1 else [c // cfg["num_head_channels"] for c in channels]
    xl = cfg["adm_in_channels"] is not None
    return {
        "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0", "act_fn": "silu",
        "addition_embed_type": "text_time" if xl else None, "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": 256 if xl else None, "attention_head_dim": heads, "attention_type": "default",
        "block_out_channels": channels, "center_input_sample": False, "class_embed_type": None,
        "class_embeddings_concat": False, "conv_in_kernel": 3, "conv_out_kernel": 3,
        "cross_attention_dim": cfg["context_dim"], "cross_attention_norm": None, "down_block_types": down,
        "downsample_padding": 1, "dropout": 0.0, "dual_cross_attention": False, "encoder_hid_dim": None,
        "encoder_hid_dim_type": None, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": cfg["in_channels"],
        "layers_per_block": cfg["num_res_blocks"], "mid_block_only_cross_attention": None, "mid_block_scale_factor": 1,
        "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_eps": 1e-05, "norm_num_groups": 32,
        "num_attention_heads": None, "num_class_embeds": None, "only_cross_attention": False, "out_channels": 4,
        "projection_class_embeddings_input_dim": cfg["adm_in_channels"], "resnet_out_scale_factor": 1.0,
        "resnet_skip_time_act": False, "resnet_time_scale_shift": "default", "reverse_transformer_layers_per_block": None,
        "sample_size": sample_size, "time_cond_proj_dim": cfg.get("time_cond_proj_dim"), "time_embedding_act_fn": None, "time_embedding_dim": None,
        "time_embedding_type": "positional", "timestep_post_act": None,
        "transformer_layers_per_block": cfg["transformer_depth"], "up_block_types": up, "upcast_attention": upcast,
        "use_linear_projection": cfg["use_linear"],
    }


def original_yaml(case, cfg):
    """The inference .yaml's UNet section the way CompVis (LDM) or SGM (SDXL) write it."""
    import yaml
    params = {"in_channels": cfg["in_channels"], "out_channels": 4, "model_channels": cfg["model_channels"],
              "attention_resolutions": cfg["attention_resolutions"], "num_res_blocks": cfg["num_res_blocks"],
              "channel_mult": cfg["channel_mult"], "transformer_depth": cfg["transformer_depth"],
              "context_dim": cfg["context_dim"], "use_checkpoint": True, "legacy": False}
    if cfg["num_head_channels"] == -1:
        params["num_heads"] = cfg["num_heads"]
    else:
        params["num_head_channels"] = cfg["num_head_channels"]
    if cfg["use_linear"]:
        params["use_linear_in_transformer"] = True
    if case.startswith("sdxl"):
        params.update({"adm_in_channels": cfg["adm_in_channels"], "num_classes": "sequential",
                       "spatial_transformer_attn_type": "softmax-xformers"})
        doc = {"model": {"target": "sgm.models.diffusion.DiffusionEngine", "params": {
            "scale_factor": 0.13025, "network_config": {"target": "sgm.modules.diffusionmodules.openaimodel.UNetModel", "params": params}}}}
    else:
        params.update({"image_size": 32, "use_spatial_transformer": True})
        doc = {"model": {"target": "ldm.models.diffusion.ddpm.LatentDiffusion", "params": {
            "parameterization": "v" if case == "sd2-v" else "eps", "linear_start": 0.00085, "linear_end": 0.012,
            "scale_factor": 0.18215, "unet_config": {"target": "ldm.modules.diffusionmodules.openaimodel.UNetModel", "params": params}}}}
    return yaml.safe_dump(doc, sort_keys=False)


def main():
    out = sys.argv[1]
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "fp16"])
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args(sys.argv[2:])
    cfg = CASES[a.case]
    gen = torch.Generator().manual_seed(a.seed)
    model = UNetModel(**cfg).to(torch.float64)
    randomize(model, gen)
    # The EMA copy (other values) only where the tests read it: it doubles the file.
    with_ema = a.case == "sd1"
    ema = UNetModel(**cfg).to(torch.float64) if with_ema else None
    if ema is not None:
        randomize(ema, gen)
    store = torch.float16 if a.dtype == "fp16" else torch.float32
    # fp16 files: the stored (rounded) weights are the model; torch 1.13 has no fp16 conv on CPU, so
    # the reference runs the rounded weights in float64.
    with torch.no_grad():
        for m in (model, ema):
            for p in (m.parameters() if m is not None else []):
                p.copy_(p.to(store).to(torch.float64))

    unet_sd = {k: v.to(store) for k, v in model.state_dict().items()}
    state = [(f"model.diffusion_model.{k}", v) for k, v in unet_sd.items()]
    if ema is not None:
        state += [("model_ema." + "".join(f"diffusion_model.{k}".split(".")), v.to(store)) for k, v in ema.state_dict().items()]
        state += [("model_ema.decay", torch.tensor(0.9999, dtype=torch.float32)), ("model_ema.num_updates", torch.tensor(10, dtype=torch.int64))]
    state += [("betas", torch.linspace(0.00085, 0.012, 1000, dtype=torch.float32)), ("alphas_cumprod", torch.linspace(1, 0.01, 1000, dtype=torch.float32))]
    write_safetensors(os.path.join(out, "model.safetensors"), state, {"format": "pt"})
    if a.dtype == "fp32":
        torch.save({"state_dict": OrderedDict(state), "global_step": 470000}, os.path.join(out, "model.ckpt"))
    unet_dir = os.path.join(out, "diffusers", "unet")
    os.makedirs(unet_dir)
    variant = ".fp16" if a.dtype == "fp16" else ""
    write_safetensors(os.path.join(unet_dir, f"diffusion_pytorch_model{variant}.safetensors"),
                      sorted(to_diffusers(unet_sd, cfg["num_res_blocks"]).items()), {"format": "pt"})
    sample_size = 128 if a.case.startswith("sdxl") else 96 if a.case == "sd2-v" else 64
    with open(os.path.join(unet_dir, "config.json"), "w") as f:
        json.dump(diffusers_config(cfg, sample_size, a.case.startswith("sd2")), f, indent=2, sort_keys=True)
    with open(os.path.join(out, "model.yaml"), "w") as f:
        f.write(original_yaml(a.case, cfg))

    batch, h, w, seq = 2, 12, 16, 7
    sample = torch.randn(batch, cfg["in_channels"], h, w, generator=gen).to(store).to(torch.float64)
    timestep = torch.tensor(417.0, dtype=torch.float64)
    context = torch.randn(batch, seq, cfg["context_dim"], generator=gen).to(store).to(torch.float64)
    ins = [("unet.in.sample", sample), ("unet.in.timestep", timestep), ("unet.in.encoder_hidden_states", context)]
    y = None
    cond = None
    if cfg.get("time_cond_proj_dim") is not None:
        cond = torch.randn(batch, cfg["time_cond_proj_dim"], generator=gen).to(store).to(torch.float64)
        ins.append(("unet.in.timestep_cond", cond))
    if cfg["adm_in_channels"] is not None:
        text_embeds = torch.randn(batch, POOLED, generator=gen).to(store).to(torch.float64)
        time_ids = torch.tensor([[768, 1024, 0, 16, 1024, 1024], [1024, 896, 32, 0, 1024, 1024]], dtype=torch.float64)
        y = torch.cat([text_embeds, timestep_embedding(time_ids.flatten(), 256).reshape(batch, -1)], dim=-1)
        ins += [("unet.in.text_embeds", text_embeds), ("unet.in.time_ids", time_ids)]
    # Latent sides the total stride does not divide (13×10: 13 → 7 → 4 on the way down), run as
    # diffusers does: each upsampler interpolates to the size of the skip connection it meets.
    odd = torch.randn(batch, cfg["in_channels"], 13, 10, generator=gen).to(store).to(torch.float64)
    ins.append(("unet.in.sample_odd", odd))
    with torch.no_grad():
        outs = [("unet.out.out_sample", model(sample, timestep.expand(batch), context, y, cond=cond)),
                ("unet.out.out_sample_odd", model(odd, timestep.expand(batch), context, y, match_skips=True, cond=cond))]
        if ema is not None:
            outs.append(("unet.out.ema_out_sample", ema(sample, timestep.expand(batch), context, y)))
    write_safetensors(os.path.join(out, "reference.safetensors"), [(k, v.to(torch.float32)) for k, v in ins + outs])


if __name__ == "__main__":
    main()
