"""
Multiply-adds of a 1024² SDXL job's model calls, counted on the meta device (no weights, no
arithmetic): one UNet call at batch 2 (CFG) and one VAE decode, for SDXL base's real configs and for
the families bench's full-depth fixture. Prints one JSON line:
{"real": {"unet": …, "vae": …}, "bench": {"unet": …, "vae": …}} in multiply-adds.

Every convolution and matrix product is counted (aten.convolution, mm, addmm, bmm): together they
are all but a fraction of a percent of both models' arithmetic.

usage: /usr/bin/python3 sdxl_macs.py
"""
import json
import os
import runpy

import torch
from torch.utils._python_dispatch import TorchDispatchMode

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.normpath(os.path.join(HERE, "..", "..", "convert", "testing", "torch", "checkpoint_fixture.py"))

# The fixture script's namespace (run_path leaves its main() alone): its configs and the references it loaded.
fx = runpy.run_path(FIXTURE)
ur, tv = fx["ur"], fx["tv"]
aten = torch.ops.aten
# The reference builds its sinusoidal embedding on the CPU; on the meta device only its shape matters.
ur.timestep_embedding = lambda t, dim, max_period=10000: torch.zeros(t.shape[0], dim, device="meta")


class CountMacs(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.macs = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        op = func.overloadpacket
        if op is aten.convolution:
            w = args[1]
            self.macs += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]
        elif op is aten.addmm:
            self.macs += out.numel() * args[1].shape[-1]
        elif op in (aten.mm, aten.bmm):
            self.macs += out.numel() * args[0].shape[-1]
        return out


def unet_macs(cfg, side=128, batch=2, tokens=77):
    unet = ur.UNetModel(**cfg).to("meta")
    x = torch.zeros(batch, cfg["in_channels"], side, side, device="meta")
    t = torch.zeros(batch, device="meta")
    context = torch.zeros(batch, tokens, cfg["context_dim"], device="meta")
    y = torch.zeros(batch, cfg["adm_in_channels"], device="meta")
    with CountMacs() as count:
        unet(x, t, context, y)
    return count.macs


def vae_decode_macs(ch, mult, nres, side=128):
    vae = tv.AutoencoderKL(ch, mult, nres).to("meta")
    with CountMacs() as count:
        vae.decoder(vae.post_quant_conv(torch.zeros(1, 4, side, side, device="meta")))
    return count.macs


def main():
    torch.set_grad_enabled(False)
    # SDXL base 1.0's unet/config.json and vae/config.json in the LDM reference's terms.
    sdxl = dict(in_channels=4, model_channels=320, channel_mult=[1, 2, 4], attention_resolutions=[2, 4], num_res_blocks=2,
                num_heads=-1, num_head_channels=64, transformer_depth=[0, 2, 10], context_dim=2048, use_linear=True,
                adm_in_channels=2816)
    bench = fx["unet_config"]("sdxl-full-depth", False)
    print(json.dumps({
        "real": {"unet": unet_macs(sdxl), "vae": vae_decode_macs(128, [1, 2, 4, 4], 2)},
        "bench": {"unet": unet_macs(bench), "vae": vae_decode_macs(*fx["SDXL_FULL_DEPTH_VAE"])},
    }))


if __name__ == "__main__":
    main()
