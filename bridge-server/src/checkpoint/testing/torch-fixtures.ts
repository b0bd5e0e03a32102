/**
 * Checkpoints written by real torch (test support only): state dicts with every stored dtype,
 * views (transposed, sliced, strided, expanded, channels-last), shared storages, an A1111 /
 * Lightning wrapper, A1111 embeddings, protocol-4 pickles, torch's legacy format, re-zipped
 * (deflated, ZIP64) archives and safetensors files, each with torch's own bytes to compare with.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { StoredDType } from '../tensor-source.js';
import { PY_HELPERS } from './python-helpers.js';
import { cachedTorchOutputs, requireTorch } from './torch-python.js';

const FIXTURES = String.raw`
import sys, io, zipfile, types
from collections import OrderedDict
import numpy as np
out = sys.argv[1]

g = torch.Generator().manual_seed(1234)
def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=g).to(dtype)

# -- a plain state dict: every dtype, views, shared storages
base = randn(4, 6)
half = randn(5, 4, dtype=torch.float16)
bf = randn(3, 4, dtype=torch.bfloat16)
sd = OrderedDict()
sd['w'] = base
sd['w_t'] = base.t()
sd['w_rows'] = base[1:3]
sd['w_cols'] = base[:, 2:5]
sd['w_step'] = base[::2, ::3]
sd['w_elem'] = base[2, 5]
sd['expanded'] = randn(1, 5).expand(3, 5)
sd['channels_last'] = randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
sd['half'] = half
sd['half_t'] = half.t()
sd['half_special'] = torch.tensor([0.0, -0.0, float('inf'), -float('inf'), float('nan'), 6e-8, -6.1e-5, 65504.0, 1.0 / 3.0], dtype=torch.float16)
sd['bf16'] = bf
sd['bf16_t'] = bf.t()
sd['f64'] = torch.tensor([1.0 / 3.0, 1e300, -1e-300, 2.5, float('nan')], dtype=torch.float64)
sd['position_ids'] = torch.arange(77).unsqueeze(0)
sd['i64'] = torch.tensor([2 ** 40 + 3, -5, 2 ** 53 - 1, -(2 ** 31)])
sd['i32'] = torch.tensor([-7, 8, 2 ** 31 - 1], dtype=torch.int32)
sd['i16'] = torch.tensor([-300, 300, 32767], dtype=torch.int16)
sd['i8'] = torch.tensor([-128, 0, 127], dtype=torch.int8)
sd['u8'] = torch.tensor([0, 1, 255], dtype=torch.uint8)
sd['flags'] = torch.tensor([True, False, True])
sd['scalar'] = torch.tensor(0.125)
sd['empty'] = torch.zeros(0, 3)
sd['param'] = torch.nn.Parameter(randn(2, 2))
sd['leaf'] = randn(2, 3).requires_grad_()
sd['nested'] = {'inner': randn(2), 'deeper': {'x': torch.zeros(1)}}
sd['listed'] = [torch.ones(1), randn(2)]
torch.save(sd, out + '/plain.ckpt')
torch.save(sd, out + '/plain-p4.ckpt', pickle_protocol=4)
torch.save(sd, out + '/legacy.ckpt', _use_new_zipfile_serialization=False)
flat = OrderedDict()
for k, v in sd.items():
    if isinstance(v, dict):
        flat[k + '.inner'] = v['inner']
        flat[k + '.deeper.x'] = v['deeper']['x']
    elif isinstance(v, list):
        for i, t in enumerate(v):
            flat[k + '.' + str(i)] = t
    else:
        flat[k] = v
dump_expected(out, 'plain', flat)

# -- A1111 / Lightning wrapper around a module's state dict (with its _metadata)
class TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 8, 3)
        self.norm = torch.nn.GroupNorm(2, 8)
        self.proj = torch.nn.Linear(8, 8)
        self.register_buffer('betas', torch.linspace(0.00085, 0.012, 10, dtype=torch.float64))
model = TinyModel()
state = model.state_dict(prefix='model.diffusion_model.')
state['cond_stage_model.transformer.text_model.embeddings.position_ids'] = torch.arange(77).unsqueeze(0)
state['model_ema.decay'] = torch.tensor(0.9999)
state['model_ema.num_updates'] = torch.tensor(1000, dtype=torch.int32)

# Lightning's callback class, pickled under its real name (only its name is ever written).
lightning = types.ModuleType('pytorch_lightning.callbacks.model_checkpoint')
class ModelCheckpoint:
    pass
ModelCheckpoint.__module__ = 'pytorch_lightning.callbacks.model_checkpoint'
lightning.ModelCheckpoint = ModelCheckpoint
sys.modules['pytorch_lightning'] = types.ModuleType('pytorch_lightning')
sys.modules['pytorch_lightning.callbacks'] = types.ModuleType('pytorch_lightning.callbacks')
sys.modules['pytorch_lightning.callbacks.model_checkpoint'] = lightning
callback = ModelCheckpoint()
callback.monitor = 'val/loss'
callback.best_k = 3

wrapped = {
    'epoch': 6,
    'global_step': 470000,
    'pytorch-lightning_version': '1.4.2',
    'state_dict': state,
    'callbacks': {ModelCheckpoint: {'best_model_score': np.float64(0.25), 'best_model_path': '/ckpt/last.ckpt', 'kth': np.int64(7)}},
    'callback_object': callback,
    'optimizer_states': [{'state': {0: {'step': 10, 'exp_avg': randn(8, 4, 3, 3)}}, 'param_groups': [{'lr': 1e-4, 'params': [0]}]}],
    'lr_schedulers': [],
    'hparams': {'lr': 1e-4, 'flag': True, 'nothing': None, 'big': 2 ** 70, 'neg': -3},
    'raw': b'\x00\x01\xff',
    'np_array': np.arange(3.0),
    'a_set': {1, 2},
}
torch.save(wrapped, out + '/a1111.ckpt')
dump_expected(out, 'a1111', state)
values = {'epoch': 6, 'global_step': 470000, 'pytorch-lightning_version': '1.4.2',
          'callbacks.pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint.best_model_score': 0.25,
          'callbacks.pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint.best_model_path': '/ckpt/last.ckpt',
          'callbacks.pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint.kth': 7,
          'optimizer_states.0.state.0.step': 10, 'optimizer_states.0.param_groups.0.lr': 1e-4,
          'optimizer_states.0.param_groups.0.params.0': 0,
          'hparams.lr': 1e-4, 'hparams.flag': True, 'hparams.nothing': None, 'hparams.big': str(2 ** 70), 'hparams.neg': -3}
with open(out + '/a1111.values.json', 'w') as fh:
    json.dump(values, fh)

# -- A1111 textual inversion embeddings
vec = randn(2, 768).requires_grad_()
emb = {'string_to_token': {'*': 265}, 'string_to_param': {'*': vec}, 'name': 'my-style', 'step': 3000,
       'sd_checkpoint': 'e1441589a6', 'sd_checkpoint_name': 'v1-5-pruned-emaonly'}
torch.save(emb, out + '/embedding.pt')
dump_expected(out, 'embedding', {'string_to_param.*': vec})
emb2 = {'emb_params': randn(4, 1024, dtype=torch.float16)}
torch.save(emb2, out + '/emb-params.pt')
dump_expected(out, 'emb-params', emb2)
bare = randn(3, 2)
torch.save(bare, out + '/bare.pt')
dump_expected(out, 'bare', {'': bare})

# -- the plain checkpoint re-zipped: deflated entries, and ZIP64 records throughout
names_and_data = []
with zipfile.ZipFile(out + '/plain.ckpt') as src:
    for info in src.infolist():
        names_and_data.append((info.filename, src.read(info.filename)))
with zipfile.ZipFile(out + '/plain-deflated.ckpt', 'w', compression=zipfile.ZIP_DEFLATED) as dst:
    for name, data in names_and_data:
        dst.writestr(name, data)
write_zip64(out + '/plain-zip64.ckpt', names_and_data)
for variant in ('plain-p4', 'plain-deflated', 'plain-zip64'):
    loaded = torch.load(out + '/' + variant + '.ckpt')
    assert all(torch.equal(loaded[k], sd[k]) or (sd[k].dtype.is_floating_point and torch.equal(loaded[k].isnan(), sd[k].isnan()))
               for k in sd if torch.is_tensor(sd[k])), variant
with open(out + '/plain-entries.json', 'w') as fh:
    json.dump([name for name, _ in names_and_data], fh)

# -- safetensors written by an independent writer (spec order and a scrambled one)
st = OrderedDict((k, v) for k, v in flat.items())
write_safetensors(out + '/plain.safetensors', st, {'format': 'pt', 'ss_network_dim': '4'})
write_safetensors(out + '/scrambled.safetensors', st, None, order=list(reversed(list(st.keys()))))

# -- every half and bfloat16 bit pattern through torch
every = torch.arange(65536, dtype=torch.int32).to(torch.int16)
with open(out + '/f16-all.f32.bin', 'wb') as fh:
    fh.write(every.view(torch.float16).float().numpy().tobytes())
with open(out + '/bf16-all.f32.bin', 'wb') as fh:
    fh.write(every.view(torch.bfloat16).float().numpy().tobytes())
`;

export const TORCH_FIXTURES_SCRIPT = `${PY_HELPERS}\n${FIXTURES}`;

/** The fixture folder (cached), or undefined when the test was skipped for want of torch. */
export async function torchFixtures(t: TestContext): Promise<string | undefined> {
  if ((await requireTorch(t)) === undefined) return undefined;
  return cachedTorchOutputs('checkpoint-fixtures', TORCH_FIXTURES_SCRIPT);
}

export interface ExpectedTensor {
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  /** torch's contiguous stored bytes. */
  readonly raw: Uint8Array;
  /** torch's `.float()` values. */
  readonly f32: Float32Array;
}

/** torch's own view of the tensors a fixture holds (written by dump_expected). */
export async function loadExpected(dir: string, name: string): Promise<Map<string, ExpectedTensor>> {
  const manifest = JSON.parse(await readFile(join(dir, `${name}.expected.json`), 'utf8')) as Record<
    string,
    { dtype: StoredDType; shape: number[]; raw: [number, number]; f32: [number, number] }
  >;
  const raw = new Uint8Array(await readFile(join(dir, `${name}.raw.bin`)));
  const f32 = new Uint8Array(await readFile(join(dir, `${name}.f32.bin`)));
  const out = new Map<string, ExpectedTensor>();
  for (const [key, m] of Object.entries(manifest)) {
    const floats = f32.slice(m.f32[0], m.f32[0] + m.f32[1]);
    out.set(key, {
      dtype: m.dtype,
      shape: m.shape,
      raw: raw.slice(m.raw[0], m.raw[0] + m.raw[1]),
      f32: new Float32Array(floats.buffer, 0, m.f32[1] / 4),
    });
  }
  return out;
}
