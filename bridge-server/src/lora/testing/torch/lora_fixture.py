"""LoRA files for the small real-architecture checkpoints of checkpoint_fixture.py, and torch's UNet
and text-encoder outputs with the LoRAs merged the way kohya's sd-scripts merges them
(W + multiplier * alpha / rank * up @ down, convs flattened to 2-D; alpha absent -> alpha = rank).

Writes, into OUT:
  a.safetensors  kohya LoCon, CompVis module paths (lora_unet_input_blocks_1_1_...), every Linear and
                 Conv2d of the UNet (3x3 convs: down [r,in,3,3], up [out,r,1,1]) and the text encoder
                 (lora_te_ / SDXL lora_te1_, lora_te2_), float16, alpha 2, rank 4
  b.safetensors  kohya LoRA, diffusers module paths (lora_unet_down_blocks_0_attentions_0_...),
                 attention and feed-forward modules only, float32, alpha 4, rank 8
  b-peft.safetensors  the same adapter as b in PEFT form (unet. / text_encoder. prefixes,
                 lora_A / lora_B, lora_alpha in the lora_adapter_metadata header entry)
  c.safetensors  kohya, no alpha tensors (alpha = rank), rank 2, a few modules, and one key that
                 names no module of the model
  reference.safetensors  "<case>.<component>.in.<input>" / "<case>.<component>.out.<output>" for
                 the cases below, each the model with the LoRAs merged at the given multipliers

usage: lora_fixture.py OUT --base CHECKPOINT_FIXTURE_DIR --case sd1|sd2|sdxl
"""
import argparse
import importlib.util
import json
import os
import re
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CKPT_FIXTURE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "convert", "testing", "torch", "checkpoint_fixture.py"))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cf = load("checkpoint_fixture", CKPT_FIXTURE)
tv, ur = cf.tv, cf.ur

CASES = {
    "a1": [("a", 1.0)],
    "a05": [("a", 0.5)],
    "stack": [("a", 1.0), ("b", -0.7)],
    "b08": [("b", 0.8)],
    "c1": [("c", 1.0)],
}


def ldm_to_diffusers(path, L):
    """CompVis UNet module path -> diffusers module path (the test's own reading of the layout)."""
    n = L + 1
    res = {"in_layers.2": "conv1", "out_layers.3": "conv2", "emb_layers.1": "time_emb_proj", "skip_connection": "conv_shortcut"}
    m = re.match(r"input_blocks\.(\d+)\.0\.op$", path)
    if m:
        return f"down_blocks.{int(m.group(1)) // n - 1}.downsamplers.0.conv"
    m = re.match(r"input_blocks\.(\d+)\.(\d)\.(.+)$", path)
    if m and m.group(1) != "0":
        i = int(m.group(1)) - 1
        b, j = i // n, i % n
        if m.group(2) == "0":
            return f"down_blocks.{b}.resnets.{j}.{res[m.group(3)]}"
        return f"down_blocks.{b}.attentions.{j}.{m.group(3)}"
    m = re.match(r"middle_block\.([012])\.(.+)$", path)
    if m:
        if m.group(1) == "1":
            return f"mid_block.attentions.0.{m.group(2)}"
        return f"mid_block.resnets.{0 if m.group(1) == '0' else 1}.{res[m.group(2)]}"
    m = re.match(r"output_blocks\.(\d+)\.(\d)\.(.+)$", path)
    if m:
        i = int(m.group(1))
        b, j = i // n, i % n
        if m.group(2) == "0":
            return f"up_blocks.{b}.resnets.{j}.{res[m.group(3)]}"
        if m.group(3) == "conv":
            return f"up_blocks.{b}.upsamplers.0.conv"
        return f"up_blocks.{b}.attentions.{j}.{m.group(3)}"
    fixed = {"input_blocks.0.0": "conv_in", "out.2": "conv_out", "time_embed.0": "time_embedding.linear_1",
             "time_embed.2": "time_embedding.linear_2", "label_emb.0.0": "add_embedding.linear_1", "label_emb.0.2": "add_embedding.linear_2"}
    return fixed[path]


def adapted(module, attention_only):
    out = []
    for name, m in module.named_modules():
        if not isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            continue
        if attention_only and not re.search(r"(attn[12]\.(to_[qkv]|to_out\.0)|ff\.net\.(0\.proj|2)|proj_in|proj_out|self_attn\.\w+_proj|mlp\.fc[12])$", name):
            continue
        out.append((name, m))
    return out


def make_lora(modules, rank, alpha, gen, conv_kernel_in_down=True):
    """{module name: (down, up, alpha or None)} with down carrying the conv kernel (kohya LoCon)."""
    lora = OrderedDict()
    for name, m in modules:
        w = m.weight
        if w.dim() == 4:
            out_c, in_c, kh, kw = w.shape
            down = torch.randn(rank, in_c, kh, kw, generator=gen, dtype=torch.float64) / (in_c * kh * kw) ** 0.5
            up = torch.randn(out_c, rank, 1, 1, generator=gen, dtype=torch.float64) * 0.3 / rank ** 0.5
        else:
            out_c, in_c = w.shape
            down = torch.randn(rank, in_c, generator=gen, dtype=torch.float64) / in_c ** 0.5
            up = torch.randn(out_c, rank, generator=gen, dtype=torch.float64) * 0.3 / rank ** 0.5
        lora[name] = (down, up, alpha)
    return lora


class Target:
    """A weight (or rows of one) that a LoRA module adapts: OpenCLIP packs q, k, v in in_proj."""

    def __init__(self, param, rows=None):
        self.param, self.rows = param, rows

    @property
    def weight(self):
        return self.param if self.rows is None else self.param[self.rows]


def openclip_targets(oc):
    """transformers module names (as kohya's lora_te2_ keys use them) -> the OpenCLIP weights."""
    out = []
    for i, blk in enumerate(oc.transformer.resblocks):
        d = blk.attn.embed_dim
        p = f"text_model.encoder.layers.{i}."
        for j, n in enumerate(["q_proj", "k_proj", "v_proj"]):
            out.append((p + "self_attn." + n, Target(blk.attn.in_proj_weight, slice(j * d, (j + 1) * d))))
        out.append((p + "self_attn.out_proj", Target(blk.attn.out_proj.weight)))
        out.append((p + "mlp.fc1", Target(blk.mlp.c_fc.weight)))
        out.append((p + "mlp.fc2", Target(blk.mlp.c_proj.weight)))
    return out


def rounded_lora(lora, dtype):
    return OrderedDict((k, (d.to(dtype).to(torch.float64), u.to(dtype).to(torch.float64), a)) for k, (d, u, a) in lora.items())


def merge(module, lora, multiplier):
    """kohya's merge: W += multiplier * (alpha / rank) * up @ down (convs flattened)."""
    named = dict(openclip_targets(module)) if hasattr(module, "transformer") else dict(module.named_modules())
    with torch.no_grad():
        for name, (down, up, alpha) in lora.items():
            if name not in named:
                continue
            w = named[name].weight
            rank = down.shape[0]
            scale = (alpha if alpha is not None else rank) / rank
            delta = up.reshape(up.shape[0], rank) @ down.reshape(rank, -1)
            w.add_((multiplier * scale * delta).reshape(w.shape).to(w.dtype))


def kohya_name(prefix, path):
    return prefix + path.replace(".", "_")


def write_kohya(path, parts, dtype):
    tensors = OrderedDict()
    for prefix, lora, rename in parts:
        for name, (down, up, alpha) in lora.items():
            key = kohya_name(prefix, rename(name))
            tensors[key + ".lora_down.weight"] = down.to(dtype)
            tensors[key + ".lora_up.weight"] = up.to(dtype)
            if alpha is not None:
                tensors[key + ".alpha"] = torch.tensor(float(alpha), dtype=dtype)
    tv.save_safetensors(path, tensors, {"ss_network_module": "networks.lora"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--base", required=True)
    ap.add_argument("--case", required=True, choices=["sd1", "sd2", "sdxl"])
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(2024)
    sd = torch.load(os.path.join(a.base, "model.ckpt"), map_location="cpu")["state_dict"]

    cfg = cf.unet_config(a.case, False)
    L = cfg["num_res_blocks"]

    def unet_fresh():
        u = ur.UNetModel(**cfg).to(torch.float64)
        u.load_state_dict(OrderedDict((k[len("model.diffusion_model."):], v.to(torch.float64)) for k, v in sd.items() if k.startswith("model.diffusion_model.")))
        return u

    encoders = []  # (component, kohya prefix, peft prefix, fresh(), run(module, ids) -> outputs, pad)
    if a.case == "sd1":
        def clip_fresh(prefix="cond_stage_model.transformer."):
            c = tv.OpenAIClipText(*cf.CLIP_L).to(torch.float64)
            c.load_state_dict(OrderedDict((k[len(prefix):], v.to(torch.float64)) for k, v in sd.items() if k.startswith(prefix) and "position_ids" not in k), strict=False)
            return c
        encoders.append(("text_encoder", "lora_te_", "text_encoder.", clip_fresh, lambda c, ids: {"last_hidden_state": c.text_model(ids)[0]}, None))
    elif a.case == "sd2":
        def clip_sd2():
            p = "cond_stage_model.model."
            c = tv.OpenClipText(*cf.OPEN_CLIP_SD2)
            c.load_state_dict(OrderedDict((k[len(p):], v.to(torch.float32)) for k, v in sd.items() if k.startswith(p)))
            return c

        # SD 2.x conditions on the penultimate layer (with the final LayerNorm, as diffusers converts it).
        encoders.append(("text_encoder", "lora_te_", "text_encoder.", clip_sd2, lambda c, ids: {"last_hidden_state": c.ln_final(c(ids)[-2])}, None))
    else:
        def clip1():
            p = "conditioner.embedders.0.transformer."
            c = tv.OpenAIClipText(*cf.CLIP_L).to(torch.float64)
            c.load_state_dict(OrderedDict((k[len(p):], v.to(torch.float64)) for k, v in sd.items() if k.startswith(p) and "position_ids" not in k), strict=False)
            return c
        encoders.append(("text_encoder", "lora_te1_", "text_encoder.", clip1, lambda c, ids: {"last_hidden_state": c.text_model(ids)[0]}, None))

        def clip2():
            p = "conditioner.embedders.1.model."
            c = tv.OpenClipText(*cf.OPEN_CLIP_G)
            c.load_state_dict(OrderedDict((k[len(p):], v.to(torch.float32)) for k, v in sd.items() if k.startswith(p)))
            return c

        def run2(c, ids):
            last = c.ln_final(c(ids)[-1])
            return {"last_hidden_state": last, "text_embeds": last[torch.arange(ids.shape[0]), ids.argmax(dim=-1)] @ c.text_projection}
        encoders.append(("text_encoder_2", "lora_te2_", "text_encoder_2.", clip2, run2, 0))

    unet0 = unet_fresh()
    loras = {}
    unet_all = adapted(unet0, False)
    unet_attn = adapted(unet0, True)
    loras["a"] = {"unet": rounded_lora(make_lora(unet_all, 4, 2.0, gen), torch.float16)}
    loras["b"] = {"unet": make_lora(unet_attn, 8, 4.0, gen)}
    loras["c"] = {"unet": make_lora(unet_attn[:5], 2, None, gen)}
    for comp, _, _, fresh, _, _ in encoders:
        enc = fresh()
        mods = openclip_targets(enc) if hasattr(enc, "transformer") else adapted(enc, False)
        loras["a"][comp] = rounded_lora(make_lora(mods, 4, 2.0, gen), torch.float16)
        loras["b"][comp] = make_lora(mods, 8, 4.0, gen)
        loras["c"][comp] = make_lora(mods[:3], 2, None, gen)

    to_diffusers = lambda p: ldm_to_diffusers(p, L)
    same = lambda p: p
    kohya_te = {comp: prefix for comp, prefix, _, _, _, _ in encoders}
    write_kohya(os.path.join(a.out, "a.safetensors"),
                [("lora_unet_", loras["a"]["unet"], same)] + [(kohya_te[c], loras["a"][c], same) for c in kohya_te], torch.float16)
    # SDXL kohya files use CompVis paths for the UNet; SD 1.x ones diffusers paths.
    unet_b_names = same if a.case == "sdxl" else to_diffusers
    write_kohya(os.path.join(a.out, "b.safetensors"),
                [("lora_unet_", loras["b"]["unet"], unet_b_names)] + [(kohya_te[c], loras["b"][c], same) for c in kohya_te], torch.float32)
    write_kohya(os.path.join(a.out, "c.safetensors"),
                [("lora_unet_", loras["c"]["unet"], same), ("lora_unet_", OrderedDict([("not_a.module_0", loras["c"]["unet"][unet_attn[0][0]])]), same)]
                + [(kohya_te[c], loras["c"][c], same) for c in kohya_te], torch.float32)

    peft, meta = OrderedDict(), {}
    for comp, lora, rename in [("unet", loras["b"]["unet"], to_diffusers)] + [(c, loras["b"][c], same) for c in kohya_te]:
        for name, (down, up, alpha) in lora.items():
            peft[f"{comp}.{rename(name)}.lora_A.weight"] = down.to(torch.float32)
            peft[f"{comp}.{rename(name)}.lora_B.weight"] = up.to(torch.float32)
        meta[f"{comp}.r"] = 8
        meta[f"{comp}.lora_alpha"] = 4.0
    tv.save_safetensors(os.path.join(a.out, "b-peft.safetensors"), peft, {"format": "pt", "lora_adapter_metadata": json.dumps(meta, indent=2, sort_keys=True)})

    ref = OrderedDict()
    sample = torch.randn(2, cfg["in_channels"], 8, 12, generator=gen, dtype=torch.float64)
    timestep = torch.tensor([417.0, 417.0], dtype=torch.float64)
    context = torch.randn(2, 77, cfg["context_dim"], generator=gen, dtype=torch.float64)
    ids = {None: tv.input_ids(None), 0: tv.input_ids(0)}
    ref["unet.in.sample"] = sample
    ref["unet.in.timestep"] = timestep[:1]
    ref["unet.in.encoder_hidden_states"] = context
    y = None
    if cfg["adm_in_channels"] is not None:
        time_ids = torch.tensor([[512, 768, 0, 0, 512, 768]] * 2, dtype=torch.float64)
        text_embeds = torch.randn(2, cf.OPEN_CLIP_G[4], generator=gen, dtype=torch.float64)
        y = torch.cat([text_embeds, ur.timestep_embedding(time_ids.flatten(), 256).reshape(2, -1)], dim=-1)
        ref["unet.in.text_embeds"] = text_embeds
        ref["unet.in.time_ids"] = time_ids
    for comp, _, _, _, _, pad in encoders:
        ref[f"{comp}.in.input_ids"] = ids[pad]
    for case, parts in CASES.items():
        u = unet_fresh()
        for lname, mult in parts:
            merge(u, loras[lname]["unet"], mult)
        ref[f"{case}.unet.out.out_sample"] = u(sample, timestep, context, y)
        for comp, _, _, fresh, run, pad in encoders:
            e = fresh()
            for lname, mult in parts:
                merge(e, loras[lname][comp], mult)
            for k, v in run(e, ids[pad]).items():
                ref[f"{case}.{comp}.out.{k}"] = v
    tv.save_safetensors(os.path.join(a.out, "reference.safetensors"),
                        OrderedDict((k, (v.to(torch.float32) if v.is_floating_point() else v).contiguous()) for k, v in ref.items()))


if __name__ == "__main__":
    main()
