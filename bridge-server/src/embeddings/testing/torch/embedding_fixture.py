"""Textual-inversion embeddings for the small SD 1.x checkpoint of checkpoint_fixture.py, and torch's
text-encoder outputs for prompts using them, placed the way A1111 places them: an n-vector
embedding takes n token positions, counted in the 75-token chunks (an embedding that would not fit
in the current chunk starts the next one), and its vectors replace those positions' token
embeddings before the transformer (A1111's EmbeddingsWithFixes).

Writes into OUT: one-emb.safetensors (A1111 {'emb_params': [1, d]}), tri-emb.pt (A1111's torch.save
of {'string_to_token', 'string_to_param': {'*': [3, d]}, 'name', 'step', ...}), toy.safetensors
(diffusers learned_embeds {'<toy>': [d]}), and reference.safetensors with, per prompt k and chunk c,
"p{k}.c{c}.ids" (placeholder 0 where an embedding sits, as A1111 writes it, so pooling at argmax(ids)
still finds the end-of-text token), "p{k}.c{c}.slots" (-1, or the vector's index in the names'
alphabetical order one-emb, toy, tri-emb), "p{k}.c{c}.last_hidden_state" and ".pooler_output".

SDXL (--case sdxl): xl-emb.safetensors ({'clip_l': [2, d1], 'clip_g': [2, d2]}), and per chunk also
"ids2" (the second tokenizer's ids) and "text_encoder_2.last_hidden_state" / ".text_embeds".

usage: embedding_fixture.py OUT --base CHECKPOINT_FIXTURE_DIR --prompts JSON [--case sd1|sdxl]
  JSON: [[segment, ...], ...], a segment a list of token ids or the name of an embedding
"""
import argparse
import importlib.util
import json
import os
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
tv = cf.tv
BOS, EOS = tv.BOS, tv.EOS
CHUNK = 75


def chunks_of(segments, sizes):
    """A1111's tokenize_line for plain text: [(ids[77], slots[77])]."""
    out = []
    ids, slots = [], []

    def next_chunk():
        nonlocal ids, slots
        pad = CHUNK - len(ids)
        out.append(([BOS] + ids + [EOS] * (pad + 1), [-1] + slots + [-1] * (pad + 1)))
        ids, slots = [], []

    for seg in segments:
        if isinstance(seg, str):
            first, n = sizes[seg]
            if len(ids) + n > CHUNK:
                next_chunk()
            ids += [0] * n
            slots += list(range(first, first + n))
        else:
            for t in seg:
                if len(ids) == CHUNK:
                    next_chunk()
                ids.append(t)
                slots.append(-1)
    if ids or not out:
        next_chunk()
    return out


def fixed(embedding, table, slots):
    """A1111's EmbeddingsWithFixes: the token embedding with the embedding's vectors at their slots."""

    class Fixed(torch.nn.Module):
        def forward(self, x):
            e = embedding(x).clone()
            for pos, s in enumerate(slots):
                if s >= 0:
                    e[0, pos] = table[s]
            return e

    return Fixed()


def sd1(a, sd, gen, prompts):
    prefix = "cond_stage_model.transformer."
    clip = tv.OpenAIClipText(*cf.CLIP_L)
    clip.load_state_dict(OrderedDict((k[len(prefix):], v.float()) for k, v in sd.items() if k.startswith(prefix) and "position_ids" not in k), strict=False)
    d = cf.CLIP_L[0]

    vecs = OrderedDict([("one-emb", torch.randn(1, d, generator=gen) * 0.02), ("toy", torch.randn(1, d, generator=gen) * 0.02),
                        ("tri-emb", torch.randn(3, d, generator=gen) * 0.02)])
    tv.save_safetensors(os.path.join(a.out, "one-emb.safetensors"), OrderedDict([("emb_params", vecs["one-emb"])]))
    tv.save_safetensors(os.path.join(a.out, "toy.safetensors"), OrderedDict([("<toy>", vecs["toy"][0])]))
    torch.save({"string_to_token": {"*": 265}, "string_to_param": {"*": vecs["tri-emb"].clone()}, "name": "tri-emb", "step": 1200,
                "sd_checkpoint": "abcdef01", "sd_checkpoint_name": "fixture"}, os.path.join(a.out, "tri-emb.pt"))
    table = torch.cat(list(vecs.values()))
    sizes, first = {}, 0
    for name, v in vecs.items():
        sizes[name] = (first, v.shape[0])
        first += v.shape[0]

    embedding = clip.text_model.embeddings.token_embedding
    ref = OrderedDict()
    for k, segments in enumerate(prompts):
        for c, (ids, slots) in enumerate(chunks_of(segments, sizes)):
            ids_t = torch.tensor([ids], dtype=torch.int64)
            clip.text_model.embeddings.token_embedding = fixed(embedding, table, slots)
            last, pooled = clip.text_model(ids_t)[:2]
            clip.text_model.embeddings.token_embedding = embedding
            ref[f"p{k}.c{c}.ids"] = ids_t[0]
            ref[f"p{k}.c{c}.slots"] = torch.tensor(slots, dtype=torch.int64)
            ref[f"p{k}.c{c}.last_hidden_state"] = last
            ref[f"p{k}.c{c}.pooler_output"] = pooled
    return ref


def sdxl(a, sd, gen, prompts):
    """SDXL: {clip_l, clip_g} vectors into both encoders; the second pads with "!" (id 0) after the EOS."""
    p1, p2 = "conditioner.embedders.0.transformer.", "conditioner.embedders.1.model."
    clip = tv.OpenAIClipText(*cf.CLIP_L)
    clip.load_state_dict(OrderedDict((k[len(p1):], v.float()) for k, v in sd.items() if k.startswith(p1) and "position_ids" not in k), strict=False)
    oc = tv.OpenClipText(*cf.OPEN_CLIP_G)
    oc.load_state_dict(OrderedDict((k[len(p2):], v.float()) for k, v in sd.items() if k.startswith(p2)))
    vl = torch.randn(2, cf.CLIP_L[0], generator=gen) * 0.02
    vg = torch.randn(2, cf.OPEN_CLIP_G[0], generator=gen) * 0.02
    tv.save_safetensors(os.path.join(a.out, "xl-emb.safetensors"), OrderedDict([("clip_g", vg), ("clip_l", vl)]))
    sizes = {"xl-emb": (0, 2)}
    e1, e2 = clip.text_model.embeddings.token_embedding, oc.token_embedding
    ref = OrderedDict()
    for k, segments in enumerate(prompts):
        for c, (ids, slots) in enumerate(chunks_of(segments, sizes)):
            ids_t = torch.tensor([ids], dtype=torch.int64)
            ids2 = ids_t.clone()
            ids2[0, ids.index(EOS) + 1:] = 0
            clip.text_model.embeddings.token_embedding = fixed(e1, vl, slots)
            last = clip.text_model(ids_t)[0]
            clip.text_model.embeddings.token_embedding = e1
            oc.token_embedding = fixed(e2, vg, slots)
            last2 = oc.ln_final(oc(ids2)[-1])
            oc.token_embedding = e2
            ref[f"p{k}.c{c}.ids"] = ids_t[0]
            ref[f"p{k}.c{c}.ids2"] = ids2[0]
            ref[f"p{k}.c{c}.slots"] = torch.tensor(slots, dtype=torch.int64)
            ref[f"p{k}.c{c}.last_hidden_state"] = last
            ref[f"p{k}.c{c}.text_encoder_2.last_hidden_state"] = last2
            ref[f"p{k}.c{c}.text_encoder_2.text_embeds"] = last2[torch.arange(1), ids2.argmax(dim=-1)] @ oc.text_projection
    return ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--base", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--case", default="sd1", choices=["sd1", "sdxl"])
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    gen = torch.Generator().manual_seed(99)
    sd = torch.load(os.path.join(a.base, "model.ckpt"), map_location="cpu")["state_dict"]
    ref = (sdxl if a.case == "sdxl" else sd1)(a, sd, gen, json.loads(a.prompts))
    tv.save_safetensors(os.path.join(a.out, "reference.safetensors"), OrderedDict((k, v.contiguous()) for k, v in ref.items()))


if __name__ == "__main__":
    main()
