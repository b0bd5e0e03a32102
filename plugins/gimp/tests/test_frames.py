import os
import unittest

from latent_bridge_client import frames
from latent_bridge_client.errors import BridgeClientError

from .fixtures import FRAMES, frame_index


class FrameFixturesTest(unittest.TestCase):
    def setUp(self):
        self.index = frame_index()
        self.assertEqual(self.index['frameVersion'], frames.FRAME_VERSION)

    def _read(self, entry):
        with open(os.path.join(FRAMES, entry['file']), 'rb') as f:
            return f.read()

    def test_every_valid_fixture_decodes_to_its_fields_and_encodes_back(self):
        valid = [e for e in self.index['fixtures'] if e['valid']]
        self.assertGreaterEqual(len(valid), 5)
        for entry in valid:
            with self.subTest(entry['file']):
                data = self._read(entry)
                fr = frames.decode_frame(data, entry.get('limits'), kinds=entry.get('kinds'))
                h = entry['header']
                self.assertEqual((fr.kind, fr.format, fr.width, fr.height, fr.channels, fr.bit_depth, fr.job_id,
                                  fr.frame_id, fr.batch_index),
                                 (h['kind'], h['format'], h['width'], h['height'], h['channels'], h['bitDepth'],
                                  h['jobId'], h['frameId'], h['batchIndex']))
                self.assertEqual(len(data) - len(fr.payload), entry['headerLength'])
                self.assertEqual(len(fr.payload), entry['payloadLength'])
                self.assertEqual(fr.payload.hex(), entry['payloadHex'])
                again = frames.encode_frame(h['kind'], h['format'], h['width'], h['height'], fr.payload, h['frameId'],
                                            h['jobId'], h['batchIndex'], h['channels'], h['bitDepth'])
                self.assertEqual(again, data)

    def test_every_invalid_fixture_fails_with_its_code_and_field(self):
        invalid = [e for e in self.index['fixtures'] if not e['valid']]
        self.assertGreaterEqual(len(invalid), 20)
        for entry in invalid:
            with self.subTest(entry['file']):
                with self.assertRaises(BridgeClientError) as cm:
                    frames.decode_frame(self._read(entry), entry.get('limits'), kinds=entry.get('kinds'))
                self.assertEqual((cm.exception.code, cm.exception.field),
                                 (entry['error']['code'], entry['error']['field']))

    def test_a_client_refuses_client_kinds_by_default(self):
        entry = next(e for e in self.index['fixtures'] if e['file'] == 'image-rgba8.bin')
        with self.assertRaises(BridgeClientError) as cm:
            frames.decode_frame(self._read(entry))
        self.assertEqual(cm.exception.field, 'kind')

    def test_encode_refuses_what_a_server_would_refuse(self):
        with self.assertRaises(ValueError):
            frames.encode_frame('image', 'raw-rgba', 2, 2, b'\0' * 15, 1, 'job-1')
        with self.assertRaises(ValueError):
            frames.encode_frame('image', 'raw-rgba', 1, 1, b'\0' * 4, 1, 'job 1')

    def test_layout_matches_the_exported_description(self):
        import json
        with open(os.path.join(os.path.dirname(FRAMES), '..', 'schema', 'frame-layout.json'), encoding='utf-8') as f:
            layout = json.load(f)
        self.assertEqual(layout['enums']['kind'], frames.KINDS)
        self.assertEqual(layout['enums']['format'], frames.FORMATS)
        self.assertEqual({k: tuple(v) for k, v in layout['kindFormats'].items()}, frames.KIND_FORMATS)
        self.assertEqual({k: (tuple(v['channels']), tuple(v['bitDepths'])) for k, v in layout['formatRules'].items()},
                         frames.FORMAT_RULES)
        self.assertEqual(layout['fixedHeaderBytes'], frames.FIXED_HEADER)
        self.assertEqual(layout['jobIdPattern'], frames.JOB_ID_RE.pattern)


if __name__ == '__main__':
    unittest.main()
