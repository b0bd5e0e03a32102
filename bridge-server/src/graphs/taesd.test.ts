/**
 * TAESD's decoder graph against torch: two independent torch reimplementations of the published
 * modules — taesd.py's nn.Sequential Decoder (original keys, output in [0, 1]) and diffusers'
 * DecoderTiny (`decoder.layers.N`, Clamp in forward, output mapped to [-1, 1]) — each with its own
 * random weights (one set standing for taesd, one for taesdxl), installed through the production
 * path (checkpoint reader, key table, graph, staging) and run in onnxruntime on the same latents.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { openCheckpoint, writeSafetensors } from '../checkpoint/index.js';
import { cachedTorchOutputs, requireTorch } from '../checkpoint/testing/torch-python.js';
import { installTaesd, taesdVariantFromName } from '../convert/taesd-install.js';
import { detectTaesdLayout } from '../convert/layouts/taesd.js';
import { OnnxModel } from '../runtime/index.js';

const TORCH_TAESD = String.raw`
import sys, torch, torch.nn as nn
out = sys.argv[1]

# taesd.py (madebyollin/taesd): the Decoder as an nn.Sequential.
def conv(n_in, n_out, **kw):
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kw)
class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3
class Block(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.conv = nn.Sequential(conv(n_in, n_out), nn.ReLU(), conv(n_out, n_out), nn.ReLU(), conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()
    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))
def Decoder(latent_channels=4):
    return nn.Sequential(
        Clamp(), conv(latent_channels, 64), nn.ReLU(),
        Block(64, 64), Block(64, 64), Block(64, 64), nn.Upsample(scale_factor=2), conv(64, 64, bias=False),
        Block(64, 64), Block(64, 64), Block(64, 64), nn.Upsample(scale_factor=2), conv(64, 64, bias=False),
        Block(64, 64), Block(64, 64), Block(64, 64), nn.Upsample(scale_factor=2), conv(64, 64, bias=False),
        Block(64, 64), conv(64, 3),
    )

# diffusers DecoderTiny (num_blocks (3,3,3,1), block_out_channels 64, ReLU, nearest upsampling).
class DecoderTiny(nn.Module):
    def __init__(self, in_channels=4, out_channels=3, num_blocks=(3, 3, 3, 1), ch=64):
        super().__init__()
        layers = [nn.Conv2d(in_channels, ch, 3, padding=1), nn.ReLU()]
        for i, n in enumerate(num_blocks):
            final = i == len(num_blocks) - 1
            layers.extend(Block(ch, ch) for _ in range(n))
            if not final:
                layers.append(nn.Upsample(scale_factor=2, mode='nearest'))
            layers.append(nn.Conv2d(ch, out_channels if final else ch, 3, padding=1, bias=final))
        self.layers = nn.Sequential(*layers)
    def forward(self, x):
        return self.layers(torch.tanh(x / 3) * 3).mul(2).sub(1)
class AutoencoderTinyDecoderOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = DecoderTiny()

def randomize(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 64
            p.copy_(torch.randn(p.shape, generator=g) * (1.5 / fan_in ** 0.5 if p.dim() > 1 else 0.05))

torch.manual_seed(0)
x = torch.randn(1, 4, 12, 16) * 2.5
with torch.no_grad():
    original = Decoder().eval(); randomize(original, 1)
    torch.save(original.state_dict(), out + '/taesdxl_decoder.pth')
    y0 = original(x)
    tiny = AutoencoderTinyDecoderOnly().eval(); randomize(tiny, 2)
    torch.save(tiny.state_dict(), out + '/autoencoder_tiny.pth')
    y1 = tiny.decoder(x)
torch.save({'input': x, 'original': y0, 'diffusers': y1}, out + '/reference.pth')
`;

let dir: string;
let ref: string | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-taesd-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function tensor(file: string, key: string): Promise<Float32Array> {
  const src = await openCheckpoint(file);
  try {
    return await src.readFloat32(key);
  } finally {
    await src.close();
  }
}

/** The .pth re-saved as .safetensors by the production writer: installs take both. */
async function asSafetensors(pth: string, name: string): Promise<string> {
  const src = await openCheckpoint(pth);
  const file = path.join(dir, name);
  try {
    const tensors = [];
    for (const key of src.keys()) {
      const entry = src.entry(key);
      if (entry === undefined) continue;
      tensors.push({ key, dtype: 'F32' as const, shape: entry.shape, data: new Uint8Array((await src.readFloat32(key)).buffer) });
    }
    await writeSafetensors(file, tensors);
  } finally {
    await src.close();
  }
  return file;
}

async function runInstalled(installed: string, x: Float32Array): Promise<Float32Array> {
  const model = await OnnxModel.open(path.join(installed, 'model.onnx'), { threads: 1 });
  try {
    const out = await model.run({ latent_sample: { data: x, dims: [1, 4, 12, 16] } });
    assert.deepEqual(out['sample']?.dims, [1, 3, 96, 128]);
    return out['sample']?.data as Float32Array;
  } finally {
    await model.release();
  }
}

function relError(a: Float32Array, b: Float32Array): number {
  let max = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return max / scale;
}

test('taesd.py layout (Sequential indices): graph matches torch', async (t) => {
  if ((await requireTorch(t)) === undefined) return;
  ref = await cachedTorchOutputs('taesd-decoders', TORCH_TAESD);
  const file = await asSafetensors(path.join(ref, 'taesdxl_decoder.pth'), 'taesdxl_decoder.safetensors');
  assert.equal(taesdVariantFromName(file), 'taesdxl');
  const installed = await installTaesd(file, path.join(dir, 'taesdxl'), 'taesdxl');
  assert.equal(installed.layout, 'original');
  const config = JSON.parse(await readFile(path.join(dir, 'taesdxl', 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config['variant'], 'taesdxl');
  const x = await tensor(path.join(ref, 'reference.pth'), 'input');
  const expected = await tensor(path.join(ref, 'reference.pth'), 'original');
  const err = relError(await runInstalled(installed.dir, x), expected);
  assert.ok(err < 1e-4, `max |Δ| / max |ref| = ${err}`);
});

test('diffusers AutoencoderTiny layout (decoder.layers.N), from .pth and .safetensors: graph matches torch', async (t) => {
  if ((await requireTorch(t)) === undefined) return;
  ref = await cachedTorchOutputs('taesd-decoders', TORCH_TAESD);
  const x = await tensor(path.join(ref, 'reference.pth'), 'input');
  const diffusers = await tensor(path.join(ref, 'reference.pth'), 'diffusers');
  // diffusers maps to [-1, 1]; the graph keeps taesd.py's [0, 1].
  const expected = diffusers.map((v) => (v + 1) / 2);
  const sources = [path.join(ref, 'autoencoder_tiny.pth'), await asSafetensors(path.join(ref, 'autoencoder_tiny.pth'), 'diffusion_pytorch_model.safetensors')];
  for (const [i, file] of sources.entries()) {
    const installed = await installTaesd(file, path.join(dir, `taesd-${i}`), 'taesd');
    assert.equal(installed.layout, 'diffusers');
    const err = relError(await runInstalled(installed.dir, x), expected);
    assert.ok(err < 1e-4, `${path.basename(file)}: max |Δ| / max |ref| = ${err}`);
  }
});

test('files that are not a 4-channel TAESD decoder are refused by name, nothing installed', async () => {
  const encoderLike = path.join(dir, 'taesd_encoder.safetensors');
  await writeSafetensors(encoderLike, [{ key: '0.weight', dtype: 'F32', shape: [64, 3, 3, 3], data: new Uint8Array(64 * 27 * 4) }]);
  const wrong = path.join(dir, 'other.safetensors');
  await writeSafetensors(wrong, [{ key: 'model.diffusion_model.x', dtype: 'F32', shape: [1], data: new Uint8Array(4) }]);
  const flux = path.join(dir, 'taef1_decoder.safetensors');
  await writeSafetensors(flux, [{ key: '1.weight', dtype: 'F32', shape: [64, 16, 3, 3], data: new Uint8Array(64 * 16 * 9 * 4) }]);
  for (const [file, pattern] of [[encoderLike, /TAESD encoder/], [wrong, /not a TAESD decoder/], [flux, /16 latent channels/]] as const) {
    await assert.rejects(installTaesd(file, path.join(dir, 'refused'), 'taesd'), (e: unknown) => e instanceof BridgeError && e.code === 'model_invalid' && pattern.test(e.message));
  }
  await assert.rejects(readFile(path.join(dir, 'refused', 'model.onnx')));
  const src = await openCheckpoint(wrong);
  assert.throws(() => detectTaesdLayout(src), /not a TAESD decoder/);
  await src.close();
});
