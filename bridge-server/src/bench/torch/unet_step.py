"""PyTorch side of the UNet bench: the full-size SD 1.5 UNet (the LDM UNetModel reimplementation the
UNet graph tests compare with, at SD 1.5's widths) on the CPU, the baseline our onnxruntime step is
measured against.

  write OUT.safetensors
      Random weights (seeded; fan-in scaled, so activations stay O(1) through the whole UNet) stored
      as fp16 under model.diffusion_model.* keys, as a CompVis single-file checkpoint holds them.
      The bridge imports this file; the torch run below loads it too, so both run the same values.
  run WEIGHTS.safetensors OUT.f32 THREADS RUNS
      Loads the weights into a float32 UNetModel, runs RUNS steps (after one warm-up) at 512²,
      batch 2, and prints {loadMs, stepMs: [...], cpuMs: [...] (CPU time of all threads), maxRssMb}; writes the last output as raw float32
      so the bench can check both sides computed the same thing.

Inputs are the formulas unet-case.ts uses: sample[i] = sin(i), context[i] = 0.1·cos(i), t = 500.
"""
import importlib.util
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("full_checkpoint", os.path.join(HERE, "full_checkpoint.py"))
fc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fc)
ur, SD15_UNET = fc.ur, fc.SD15_UNET
PREFIX = "model.diffusion_model."


def write(out):
    torch.set_grad_enabled(False)
    model = ur.UNetModel(**SD15_UNET)
    ur.randomize(model, torch.Generator().manual_seed(17))
    state = [(PREFIX + k, list(v.shape), lambda v=v: v) for k, v in model.state_dict().items()]
    print(json.dumps({"tensors": len(state), "bytes": fc.write_f16_safetensors(out, state)}))


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        a, b = entry["data_offsets"]
        out[key[len(PREFIX):]] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float16).reshape(entry["shape"]).astype(np.float32))
    return out


def run(weights, out, threads, runs):
    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    started = time.perf_counter()
    model = ur.UNetModel(**SD15_UNET)
    model.load_state_dict(load(weights))
    model.eval()
    load_ms = (time.perf_counter() - started) * 1000
    sample = torch.sin(torch.arange(2 * 4 * 64 * 64, dtype=torch.float64)).to(torch.float32).reshape(2, 4, 64, 64)
    context = (torch.cos(torch.arange(2 * 77 * 768, dtype=torch.float64)) * 0.1).to(torch.float32).reshape(2, 77, 768)
    timesteps = torch.full((2,), 500.0)
    step_ms, cpu_ms = [], []
    result = None
    for i in range(runs + 1):
        t, c = time.perf_counter(), time.process_time()
        result = model(sample, timesteps, context)
        if i > 0:
            step_ms.append((time.perf_counter() - t) * 1000)
            cpu_ms.append((time.process_time() - c) * 1000)
    result.contiguous().numpy().astype("<f4").tofile(out)
    print(json.dumps({"loadMs": load_ms, "stepMs": step_ms, "cpuMs": cpu_ms, "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
