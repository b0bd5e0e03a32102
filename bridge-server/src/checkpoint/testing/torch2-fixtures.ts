/**
 * What torch 2.x and the `safetensors` library write, for a machine that has them (test support
 * only; this one has torch 1.13 and no safetensors package). The script below ran once with torch
 * 2.11, numpy 2.x, pytorch_lightning and safetensors 0.8, and its small outputs are kept in
 * `testing/torch2/` (see its README.md): float8 tensors saved through _rebuild_tensor_v3 with
 * UntypedStorage and dtype objects, the `byteorder` and `.data/serialization_id` entries, numpy
 * 2's `numpy._core` names, Lightning's real ModelCheckpoint class as a key, and the reference
 * writer's safetensors files including F8 dtypes. Rerun it to refresh them:
 *   python3 - OUT_DIR < <(node -e "import('./bridge-server/dist/checkpoint/testing/torch2-fixtures.js').then(m => process.stdout.write(m.TORCH2_SCRIPT))")
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './torch-python.js';

export const TORCH2_SCRIPT = String.raw`
import io, json, os, pickletools, sys, zipfile
from collections import OrderedDict
import numpy as np
import torch
out = sys.argv[1]
os.makedirs(out, exist_ok=True)

DT = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
      torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
      torch.bool: 'BOOL', torch.float8_e4m3fn: 'F8_E4M3', torch.float8_e5m2: 'F8_E5M2'}
def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)
    elif t.dtype in (torch.float8_e4m3fn, torch.float8_e5m2):
        t = t.view(torch.uint8)
    return t.numpy().tobytes()
def dump_expected(name, tensors):
    manifest, raw, f32 = {}, bytearray(), bytearray()
    for key, t in tensors.items():
        r = raw_bytes(t)
        f = t.detach().float().contiguous().numpy().tobytes()
        manifest[key] = {'dtype': DT[t.dtype], 'shape': list(t.shape), 'raw': [len(raw), len(r)], 'f32': [len(f32), len(f)]}
        raw += r
        f32 += f
    json.dump(manifest, open(os.path.join(out, name + '.expected.json'), 'w'))
    open(os.path.join(out, name + '.raw.bin'), 'wb').write(raw)
    open(os.path.join(out, name + '.f32.bin'), 'wb').write(f32)
def globals_in(path):
    names = set()
    with zipfile.ZipFile(path) as z:
        pkl = [n for n in z.namelist() if n.endswith('data.pkl')][0]
        ops = list(pickletools.genops(z.read(pkl)))
        strings = []
        for op, arg, pos in ops:
            if op.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE'):
                strings.append(arg)
            if op.name == 'GLOBAL':
                names.add(arg.replace(' ', '.'))
            if op.name == 'STACK_GLOBAL':
                names.add(strings[-2] + '.' + strings[-1])
        return sorted(names), sorted(z.namelist())

g = torch.Generator().manual_seed(5)
base = torch.randn(3, 4, generator=g)
f8 = torch.randn(4, 6, generator=g) * 10
sd = OrderedDict()
sd['f32'] = base
sd['f32_t'] = base.t()
sd['f16'] = torch.randn(4, 3, generator=g).half()
sd['bf16'] = torch.randn(2, 5, generator=g).bfloat16()
sd['e4m3'] = f8.to(torch.float8_e4m3fn)
sd['e4m3_t'] = sd['e4m3'].t()
sd['e4m3_slice'] = sd['e4m3'][1:3, 2:]
sd['e5m2'] = f8.to(torch.float8_e5m2)
sd['i64'] = torch.arange(5)
sd['flags'] = torch.tensor([True, False])
sd['scalar'] = torch.tensor(2.5)
sd['param'] = torch.nn.Parameter(torch.randn(2, 2, generator=g))
torch.save(sd, os.path.join(out, 'torch2.ckpt'))
dump_expected('torch2', sd)

from pytorch_lightning.callbacks import ModelCheckpoint
wrapped = {'state_dict': OrderedDict([('w', base), ('e5m2', sd['e5m2'])]), 'global_step': 12, 'epoch': 1,
           'callbacks': {ModelCheckpoint: {'best_model_score': torch.tensor(0.5), 'kth_value': np.float64(1.5), 'n': np.int64(3)}},
           'np_array': np.arange(3.0)}
torch.save(wrapped, os.path.join(out, 'torch2-lightning.ckpt'))
torch.save({'u16': torch.arange(4).to(torch.uint16)}, os.path.join(out, 'torch2-uint16.ckpt'))

every = torch.arange(256, dtype=torch.int32).to(torch.uint8)
open(os.path.join(out, 'f8-all.f32.bin'), 'wb').write(
    every.view(torch.float8_e4m3fn).float().numpy().tobytes() + every.view(torch.float8_e5m2).float().numpy().tobytes())

from safetensors.torch import save_file
import safetensors
official = OrderedDict((k, v.detach().contiguous().clone()) for k, v in sd.items() if k not in ('f32_t', 'e4m3_t', 'e4m3_slice'))
official['empty'] = torch.zeros(0, 3, dtype=torch.float16)
save_file(official, os.path.join(out, 'official.safetensors'), metadata={'format': 'pt', 'modelspec.title': 'fixture'})
dump_expected('official', official)

report = {'torch': torch.__version__, 'numpy': np.__version__, 'safetensors': safetensors.__version__}
for name in ('torch2.ckpt', 'torch2-lightning.ckpt', 'torch2-uint16.ckpt'):
    report[name] = globals_in(os.path.join(out, name))
json.dump(report, open(os.path.join(out, 'versions.json'), 'w'), indent=1)
print(json.dumps(report, indent=1))
`;

/** A script that checks a safetensors file we wrote with the reference `safetensors` library. */
export const VERIFY_WITH_SAFETENSORS = String.raw`
import json, sys
import torch
from safetensors import safe_open
DT = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
      torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
      torch.bool: 'BOOL', torch.float8_e4m3fn: 'F8_E4M3', torch.float8_e5m2: 'F8_E5M2'}
path, manifest_path, raw_path = sys.argv[1:4]
manifest = json.load(open(manifest_path))
raw = open(raw_path, 'rb').read()
with safe_open(path, framework='pt') as f:
    keys = sorted(f.keys())
    assert keys == sorted(manifest), (keys, sorted(manifest))
    for key in keys:
        t = f.get_tensor(key).contiguous()
        o, l = manifest[key]['raw']
        assert DT[t.dtype] == manifest[key]['dtype'], (key, t.dtype)
        assert list(t.shape) == manifest[key]['shape'], key
        assert t.reshape(-1).view(torch.uint8).numpy().tobytes() == raw[o:o + l], key
    meta = f.metadata()
print('official safetensors reads our file: %d tensors, metadata %s' % (len(keys), json.dumps(meta)))
`;

/** The folder of the kept torch 2.x outputs, or undefined when it is missing. */
export function torch2FixturesDir(): string | undefined {
  const dir = join(repoRoot(), 'bridge-server', 'src', 'checkpoint', 'testing', 'torch2');
  return existsSync(join(dir, 'versions.json')) ? dir : undefined;
}
