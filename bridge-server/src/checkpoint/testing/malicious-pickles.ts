/**
 * Hostile checkpoints, made with Python's own pickle (test support only). Each would run
 * `touch <marker>` (or worse) under an unrestricted unpickler; the readers must refuse each
 * naming the global, and the marker must never appear. Written in torch's zip layout
 * (`archive/data.pkl`, `archive/version`, `archive/data/<key>`), so only the pickle is hostile.
 */
export const MALICIOUS_SCRIPT = String.raw`
import os, pickle, subprocess, sys, types, zipfile, struct
out, markers = sys.argv[1], sys.argv[2]

def marker(name):
    return os.path.join(markers, name)

def write_ckpt(name, pkl, storages=None):
    with zipfile.ZipFile(os.path.join(out, name + '.ckpt'), 'w') as z:
        z.writestr('archive/data.pkl', pkl)
        z.writestr('archive/version', '3\n')
        for key, data in (storages or {}).items():
            z.writestr('archive/data/' + key, data)

class System:
    def __init__(self, name):
        self.name = name
    def __reduce__(self):
        return (os.system, ('touch ' + marker(self.name),))

class Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch " + marker('eval') + "')",))

class Popen:
    def __init__(self, name):
        self.name = name
    def __reduce__(self):
        return (subprocess.Popen, (['touch', marker(self.name)],))

# Plain state-dict shapes with the payload where a tensor would be.
write_ckpt('os-system', pickle.dumps({'state_dict': {'w': System('os-system')}}, protocol=2))
write_ckpt('eval', pickle.dumps({'w': Eval()}, protocol=2))
write_ckpt('popen-p2', pickle.dumps({'w': Popen('popen-p2')}, protocol=2))
write_ckpt('popen-p3', pickle.dumps({'w': Popen('popen-p3')}, protocol=3))
write_ckpt('stack-global', pickle.dumps({'w': System('stack-global')}, protocol=4))
write_ckpt('stack-global-p5', pickle.dumps([System('stack-global-p5')], protocol=5))

# Hand-assembled opcode sequences.
touch = ('touch ' + marker('hand')).encode()
def s(b):
    return b'X' + struct.pack('<I', len(b)) + b
# BUILD on an allowed OrderedDict whose state names os.system
write_ckpt('build-global-state', b'\x80\x02ccollections\nOrderedDict\n)R}' + s(b'x') + b'cposix\nsystem\n(' + s(touch) + b'tRsb.')
# BUILD on an allowed function object
write_ckpt('build-on-function', b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}' + s(b'__setstate__') + s(touch) + b'sb.')
# BUILD on an OrderedDict with a (state, slotstate) tuple carrying attributes
write_ckpt('build-slotstate', b'\x80\x02ccollections\nOrderedDict\n)R(N}' + s(b'__class__') + s(b'x') + b'stb.')
# INST (protocol 0): os.system named inline
write_ckpt('inst', b'(S' + repr(touch.decode()).encode() + b'\nios\nsystem\n.')
# OBJ with a disallowed class
write_ckpt('obj', b'(cbuiltins\nexec\n' + s(touch) + b'o.')
# REDUCE on an allowed name that is not a function (a storage class)
write_ckpt('reduce-storage-class', b'\x80\x02ctorch\nFloatStorage\n(' + s(touch) + b'tR.')
# NEWOBJ of a tensor rebuild function (only classes may be created)
write_ckpt('newobj-function', b'\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)\x81.')
# copyreg extension code (names code by number)
write_ckpt('ext-code', b'\x80\x02\x82\x01.')

# A real tensor rebuild whose backward-hooks slot holds the payload (torch's names, no torch needed).
utils = types.ModuleType('torch._utils')
def _rebuild_tensor_v2(*args):
    pass
_rebuild_tensor_v2.__module__ = 'torch._utils'
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
class FloatStorage:
    pass
FloatStorage.__module__ = 'torch'
torch_mod = types.ModuleType('torch')
torch_mod.FloatStorage = FloatStorage
torch_mod._utils = utils
sys.modules['torch'] = torch_mod
sys.modules['torch._utils'] = utils
class Tensor:
    def __reduce__(self):
        return (_rebuild_tensor_v2, (StorageRef(), 0, (2,), (1,), False, System('hooks')))
class StorageRef:
    pass
class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ('storage', FloatStorage, '0', 'cpu', 2)
        return None
import io
buf = io.BytesIO()
TorchPickler(buf, protocol=2).dump({'w': Tensor()})
write_ckpt('in-hooks', buf.getvalue(), {'0': struct.pack('<2f', 1.0, 2.0)})
`;

/** torch.save itself writing a payload beside a real tensor. */
export const MALICIOUS_TORCH_SCRIPT = String.raw`
import os, sys, torch
out, markers = sys.argv[1], sys.argv[2]
class System:
    def __reduce__(self):
        return (os.system, ('touch ' + os.path.join(markers, 'torch-save'),))
torch.save({'state_dict': {'w': torch.ones(3)}, 'callback': System()}, os.path.join(out, 'torch-save.ckpt'))
`;

/** The global each file must be refused for (the name pickle writes), or a pattern for the refusal. */
export const EXPECTED_REFUSALS: ReadonlyArray<[string, string | RegExp]> = [
  ['os-system', 'posix.system'],
  ['eval', '__builtin__.eval'],
  ['popen-p2', 'commands.Popen'],
  ['popen-p3', 'subprocess.Popen'],
  ['stack-global', 'posix.system'],
  ['stack-global-p5', 'posix.system'],
  ['build-global-state', 'posix.system'],
  ['build-on-function', /sets state on a torch\._utils\._rebuild_tensor_v2/],
  ['build-slotstate', /sets state of type tuple on a OrderedDict/],
  ['inst', 'os.system'],
  ['obj', 'builtins.exec'],
  ['reduce-storage-class', /calls torch\.FloatStorage/],
  ['newobj-function', /creates a torch\._utils\._rebuild_tensor_v2 object/],
  ['in-hooks', 'posix.system'],
];
