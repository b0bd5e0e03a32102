"""What each procedure sends (variation, mix mode, animation, prompt list) and how its layers are named."""

import random
import unittest
from collections import namedtuple

from latent_bridge_client import fields, plan
from latent_bridge_client.errors import BridgeClientError

MODEL = {'name': 'demo', 'nativeSize': 512, 'inpainting': False, 'img2img': True}
LIMITS = {'maxPixels': 4194304, 'maxResults': 64}
BOX = (10, 20, 300, 200)
BASE = {'prompt': 'red', 'negative': '', 'steps': 4, 'guidance': 1.0, 'seed': 7, 'batch': 2}


def build(kind, **opts):
    return fields.generate_fields(kind, dict(BASE, **opts), MODEL, 'euler', BOX, LIMITS)


class GenerateFieldsTest(unittest.TestCase):
    def test_txt2img_size_follows_the_models_size_multiple(self):
        sd = dict(MODEL, sizeMultiple=64)
        sent = fields.generate_fields('txt2img', dict(BASE), sd, 'euler', BOX, LIMITS)
        self.assertEqual((sent['width'] % 64, sent['height'] % 64), (0, 0))
        self.assertEqual((sent['width'], sent['height']), (640, 448))
        # A bridge that does not say keeps multiples of 8.
        self.assertEqual((build('txt2img')['width'], build('txt2img')['height']), (624, 416))

    def test_txt2img_with_variation_and_mix_mode(self):
        sent = build('txt2img', **{'variation-seed': 42, 'variation-strength': 0.25, 'mix-mode': 'noise'})
        self.assertEqual(sent, {'mode': 'txt2img', 'model': 'demo', 'prompt': 'red', 'negative': '', 'steps': 4,
                                'guidance': 1.0, 'scheduler': 'euler', 'batch': 2, 'seed': 7, 'mixMode': 'noise',
                                'variation': {'seed': 42, 'strength': 0.25}, 'width': 624, 'height': 416})

    def test_variation_strength_zero_sends_no_variation(self):
        sent = build('img2img', strength=0.6, **{'variation-seed': 42, 'variation-strength': 0.0,
                                                 'mix-mode': 'embeddings'})
        self.assertNotIn('variation', sent)
        self.assertEqual((sent['strength'], sent['mixMode']), (0.6, 'embeddings'))

    def test_variation_without_a_seed_picks_one_that_is_sent(self):
        v = fields.variation(-1, 0.5, random.Random(3))
        self.assertEqual(v, {'seed': random.Random(3).randint(0, 2 ** 31 - 1), 'strength': 0.5})

    def test_inpaint_keeps_its_fields(self):
        sent = build('inpaint', strength=1.0, grow=4, feather=8, padding=32,
                     **{'variation-seed': 1, 'variation-strength': 1.0, 'mix-mode': 'embeddings'})
        self.assertEqual((sent['grow'], sent['feather'], sent['padding'], sent['variation']),
                         (4, 8, 32, {'seed': 1, 'strength': 1.0}))
        self.assertNotIn('width', sent)

    def test_random_seed_is_left_to_the_server(self):
        self.assertNotIn('seed', build('txt2img', seed=-1))

    def test_animation(self):
        sent = build('animate', frames=4, **{'to-prompt': ' blue ', 'to-seed': 9, 'chain-strength': 0.5})
        self.assertEqual(sent['animation'], {'frames': 4, 'toPrompt': 'blue', 'toSeed': 9, 'chainStrength': 0.5})
        self.assertEqual((sent['mode'], sent['batch'], sent['prompt']), ('txt2img', 1, 'red'))
        self.assertNotIn('variation', sent)
        self.assertNotIn('mixMode', sent)

    def test_animation_defaults_keep_prompt_and_seed_and_no_chain(self):
        sent = build('animate', frames=3, **{'to-prompt': '', 'to-seed': -1, 'chain-strength': 0.0})
        self.assertEqual(sent['animation'], {'frames': 3})

    def test_animation_frame_limits(self):
        for frames, code, field in ((1, 'invalid_field', 'animation.frames'),
                                    (65, 'limit_exceeded', 'animation.frames')):
            with self.subTest(frames=frames):
                with self.assertRaises(BridgeClientError) as cm:
                    build('animate', frames=frames)
                self.assertEqual((cm.exception.code, cm.exception.field), (code, field))
        with self.assertRaises(BridgeClientError) as cm:
            fields.animation(4, '', -1, 1.0)
        self.assertEqual(cm.exception.field, 'animation.chainStrength')

    def test_prompt_list(self):
        sent = build('prompt-list', prompts='  a red barn \n\n(blue:1.2) door\r\n   \n', **{'mix-mode': 'noise'})
        self.assertEqual(sent['prompts'], [{'prompt': 'a red barn'}, {'prompt': '(blue:1.2) door'}])
        self.assertEqual((sent['prompt'], sent['batch'], sent['seed'], sent['mixMode']), ('', 1, 7, 'noise'))

    def test_prompt_list_empty_and_too_long(self):
        with self.assertRaises(BridgeClientError) as cm:
            build('prompt-list', prompts=' \n \n')
        self.assertEqual((cm.exception.code, cm.exception.field), ('invalid_field', 'prompts'))
        with self.assertRaises(BridgeClientError) as cm:
            build('prompt-list', prompts='\n'.join('p%d' % i for i in range(65)))
        self.assertEqual((cm.exception.code, cm.exception.field), ('limit_exceeded', 'prompts'))

    def test_a_server_without_max_results_is_not_second_guessed(self):
        fields.check_result_count(1000, {'maxPixels': 1}, 'prompts')


class SequenceNamesTest(unittest.TestCase):
    def test_frame_names_carry_position_and_duration(self):
        self.assertEqual([plan.frame_layer_name(i, 4, 120) for i in range(4)],
                         ['frame 1 (t 0.00) (120ms)', 'frame 2 (t 0.33) (120ms)', 'frame 3 (t 0.67) (120ms)',
                          'frame 4 (t 1.00) (120ms)'])

    def test_group_names(self):
        self.assertEqual(plan.animation_group_name('red', 'blue', 4), 'red \u2192 blue (4 frames)')
        self.assertEqual(plan.animation_group_name('red', '  ', 4), 'red (4 frames)')
        self.assertEqual(plan.animation_group_name('red', 'red', 4), 'red (4 frames)')
        self.assertEqual(plan.prompt_list_group_name(['red', 'blue  sky']), 'red / blue sky (2 prompts)')
        self.assertEqual(plan.prompt_list_group_name(['red']), 'red (1 prompt)')
        self.assertLessEqual(len(plan.prompt_list_group_name(['x' * 100, 'y'])), 48 + len(' (2 prompts)'))

    def test_a_sequence_must_come_back_whole(self):
        r = namedtuple('R', 'index')
        plan.check_sequence([r(0), r(1), r(2)], 3, 'frames')
        for got in ([r(0)], [r(0), r(2), r(1)], [r(0), r(1), r(2), r(3)], []):
            with self.subTest(got=got):
                with self.assertRaises(BridgeClientError) as cm:
                    plan.check_sequence(got, 3, 'frames')
                self.assertEqual(cm.exception.code, 'internal')
        with self.assertRaises(BridgeClientError) as cm:
            plan.check_sequence([r(0)], 4, 'frames')
        self.assertEqual(cm.exception.message, 'The bridge sent frames 0 of 4; expected one result each.')


if __name__ == '__main__':
    unittest.main()
