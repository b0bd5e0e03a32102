import json
import os
import unittest

from latent_bridge_client import protocol
from latent_bridge_client.errors import BridgeClientError

from .fixtures import MESSAGES, message_fixtures


class ServerMessageFixturesTest(unittest.TestCase):
    def test_every_server_fixture(self):
        fixtures = message_fixtures('server')
        self.assertGreaterEqual(len(fixtures), 15)
        for name, fx in fixtures:
            with self.subTest(name):
                expect = fx['expect']
                text = fx['text'] if 'text' in fx else json.dumps(fx['message'])
                if expect['ok']:
                    self.assertEqual(protocol.parse_server_message(text), expect['parsed'])
                else:
                    with self.assertRaises(BridgeClientError) as cm:
                        protocol.parse_server_message(text)
                    self.assertEqual((cm.exception.code, cm.exception.field), (expect['code'], expect['field']))

    def test_not_json_and_not_an_object(self):
        for text, code in (('{', 'malformed_message'), ('[1]', 'malformed_message'), ('{"a":1}', 'malformed_message')):
            with self.assertRaises(BridgeClientError) as cm:
                protocol.parse_server_message(text)
            self.assertEqual(cm.exception.code, code)

    def test_booleans_are_not_integers(self):
        with self.assertRaises(BridgeClientError) as cm:
            protocol.parse_server_value({'type': 'queued', 'id': 'j', 'position': True})
        self.assertEqual(cm.exception.field, 'position')

    def test_error_codes_match_the_schema(self):
        with open(os.path.join(os.path.dirname(MESSAGES), '..', 'schema', 'messages.schema.json'),
                  encoding='utf-8') as f:
            schema = json.load(f)
        self.assertEqual(set(schema['$defs']['Error']['properties']['code']['enum']), protocol.ERROR_CODES)
        self.assertEqual(set(schema['$defs']['Limits']['required']), set(protocol.LIMIT_NAMES))
        self.assertEqual(set(schema['$defs']['ServerMessage']['anyOf'][i]['$ref'].split('/')[-1].lower()
                             for i in range(len(schema['$defs']['ServerMessage']['anyOf']))),
                         set(protocol.SERVER_MESSAGES))


class ClientMessagesTest(unittest.TestCase):
    """What the plug-in sends equals the protocol's own fixtures of the same messages."""

    def _fixture(self, name):
        return dict(message_fixtures('client'))[name]

    def test_hello(self):
        fx = self._fixture('client-hello.json')
        self.assertEqual(protocol.hello('s3cret'), fx['message'])
        self.assertEqual(protocol.hello(None), dict(self._fixture('client-hello-no-token.json')['message'],
                                                    client='gimp/0.1.0'))

    def test_cancel(self):
        self.assertEqual(protocol.cancel('job-1'), self._fixture('client-cancel.json')['message'])

    def test_generate_reproduces_the_fixtures(self):
        for name in ('client-generate-inpaint.json', 'client-generate-img2img.json',
                     'client-generate-outpaint.json', 'client-generate-txt2img-minimal.json',
                     'client-generate-variation-max-seed.json', 'client-generate-animation.json',
                     'client-generate-prompt-list.json'):
            with self.subTest(name):
                msg = dict(self._fixture(name)['message'])
                self.assertTrue(self._fixture(name)['expect']['ok'])
                msg.pop('type')
                job = msg.pop('id')
                built = protocol.generate(job, **msg)
                self.assertEqual(built, self._fixture(name)['message'])
                self.assertEqual(json.loads(protocol.dumps(built)), built)

    def test_generate_leaves_out_unset_fields_and_refuses_unknown_ones(self):
        self.assertEqual(protocol.generate('j', mode='txt2img', seed=None), {'type': 'generate', 'id': 'j',
                                                                            'mode': 'txt2img'})
        with self.assertRaises(ValueError):
            protocol.generate('j', sampler='euler')


if __name__ == '__main__':
    unittest.main()
