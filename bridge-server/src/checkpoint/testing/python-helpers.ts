/**
 * Python snippets shared by the checkpoint test fixtures (test support only). They are written
 * from the format specifications, independently of the TypeScript readers they check.
 */

/**
 * dump_expected(out_dir, name, tensors): torch's own view of each tensor, for exact comparison:
 * `<name>.expected.json` ({key: {dtype, shape, raw: [offset, length], f32: [offset, length]}}),
 * `<name>.raw.bin` (contiguous stored bytes) and `<name>.f32.bin` (torch's `.float()` values).
 * write_safetensors(path, tensors, metadata, order): a plain safetensors writer after the spec.
 */
export const PY_HELPERS = String.raw`
import json, os, struct, zlib
import torch

DT = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
      torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',
      torch.uint8: 'U8', torch.bool: 'BOOL'}

def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()

def f32_bytes(t):
    return t.detach().float().contiguous().numpy().tobytes()

def dump_expected(out_dir, name, tensors):
    manifest = {}
    raw = bytearray()
    f32 = bytearray()
    for key, t in tensors.items():
        r = raw_bytes(t)
        f = f32_bytes(t)
        manifest[key] = {'dtype': DT[t.dtype], 'shape': list(t.shape),
                         'raw': [len(raw), len(r)], 'f32': [len(f32), len(f)]}
        raw += r
        f32 += f
    with open(os.path.join(out_dir, name + '.expected.json'), 'w') as fh:
        json.dump(manifest, fh)
    with open(os.path.join(out_dir, name + '.raw.bin'), 'wb') as fh:
        fh.write(raw)
    with open(os.path.join(out_dir, name + '.f32.bin'), 'wb') as fh:
        fh.write(f32)

def write_safetensors(path, tensors, metadata=None, order=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    keys = list(tensors.keys()) if order is None else order
    blobs = []
    offset = 0
    for key in keys:
        t = tensors[key]
        b = raw_bytes(t)
        header[key] = {'dtype': DT[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<Q', len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)

def write_zip64(path, entries, hole_before=None, hole_bytes=0):
    """A ZIP64 archive laid out like torch's (stored, data 64-byte aligned), every size and offset
    in ZIP64 fields; optionally a sparse hole before one entry to push it past 4 GiB."""
    with open(path, 'wb') as f:
        central = []
        for i, (name, data) in enumerate(entries):
            if hole_before == i:
                f.seek(f.tell() + hole_bytes)
            offset = f.tell()
            nb = name.encode()
            crc = zlib.crc32(data) & 0xffffffff
            z64 = struct.pack('<HHQQ', 1, 16, len(data), len(data))
            base = offset + 30 + len(nb) + len(z64) + 4
            pad = (-base) % 64
            padding = struct.pack('<HH', 0x4246, pad) + b'Z' * pad
            f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff,
                                len(nb), len(z64) + len(padding)))
            f.write(nb + z64 + padding + data)
            central.append((nb, crc, len(data), offset))
        cd_offset = f.tell()
        for nb, crc, size, offset in central:
            z64 = struct.pack('<HHQQQ', 1, 24, size, size, offset)
            f.write(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff,
                                0xffffffff, len(nb), len(z64), 0, 0, 0, 0, 0xffffffff) + nb + z64)
        cd_end = f.tell()
        f.write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, len(central), len(central),
                            cd_end - cd_offset, cd_offset))
        f.write(struct.pack('<IIQI', 0x07064b50, 0, cd_end, 1))
        f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0))
`;
