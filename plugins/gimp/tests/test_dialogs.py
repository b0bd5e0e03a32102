"""What a user meets in the dialogs without running GIMP: mnemonics, model-aware choices,
remembered values, big selections sent at the model's working size (issue 20, GIMP findings)."""

import os
import tempfile
import unittest

from latent_bridge_client import fields, mnemonics, models, plan, remember
from latent_bridge_client.errors import BridgeClientError

from .procedure_stub import load_procedures

SDXL = {'name': 'sdxl-base', 'nativeSize': 1024, 'inpainting': False, 'img2img': True, 'family': 'sdxl',
        'defaults': {'steps': 30, 'guidance': 5.0, 'scheduler': 'euler', 'width': 1024, 'height': 1024}}
TURBO = {'name': 'sdxl-turbo', 'nativeSize': 512, 'inpainting': False, 'img2img': True, 'family': 'sdxl',
         'defaults': {'steps': 1, 'guidance': 0.0, 'scheduler': 'euler_a', 'width': 512, 'height': 512}}
SD15 = {'name': 'sd15', 'nativeSize': 512, 'inpainting': True, 'img2img': True, 'family': 'sd1'}
DEMO = {'name': 'demo', 'nativeSize': 512, 'inpainting': False, 'img2img': True}


class MnemonicsTest(unittest.TestCase):
    def test_every_dialog_has_unique_mnemonics_and_hides_run_mode(self):
        module, procs = load_procedures()
        for name, proc in procs.items():
            labels = [label for arg, label in proc.arguments]
            self.assertEqual(mnemonics.clashes(labels), [], '%s: %s' % (name, labels))
        settings = dict(procs[module.SETTINGS].arguments)
        self.assertNotIn('_', settings['run-mode'])
        self.assertIn('run-mode', module.HIDDEN_ARGUMENTS)
        # The old labels clashed (G: Guidance and Variation stren_gth; V: Variation seed and pre_views).
        self.assertEqual(mnemonics.clashes(['_Guidance', 'Variation stren_gth', '_Variation seed', 'Show pre_views']),
                         ['g', 'v'])

    def test_assign_keeps_free_letters_and_skips_hidden(self):
        out = mnemonics.assign(['_Prompt', '_Prompts', 'Run mode', '_Cancel me'], skip={2})
        self.assertEqual(out[0], '_Prompt')
        self.assertEqual(out[2], 'Run mode')
        self.assertNotEqual(out[3], '_Cancel me', 'C is the dialog\'s Cancel button')
        self.assertEqual(mnemonics.clashes(out), [])


class ModelChoicesTest(unittest.TestCase):
    def test_labels_show_family_and_size(self):
        self.assertEqual(models.model_label(SDXL), 'sdxl-base \u00b7 SDXL \u00b7 1024x1024')
        self.assertEqual(models.model_label(SD15), 'sd15 \u00b7 SD 1.x \u00b7 512x512 \u00b7 inpainting')
        self.assertEqual(models.model_label(DEMO), 'demo \u00b7 512x512')

    def test_defaults_follow_the_model(self):
        self.assertEqual(models.defaults_for(TURBO, ['euler', 'euler_a']), {'steps': 1, 'guidance': 0.0, 'scheduler': 'euler_a'})
        self.assertEqual(models.defaults_for(SDXL, ['ddim']), {'steps': 30, 'guidance': 5.0})
        self.assertEqual(models.defaults_for(DEMO, ['euler']), {})

    def test_loras_and_embeddings_that_fit(self):
        loras = [{'name': 'a', 'family': 'sd1'}, {'name': 'b', 'family': 'sdxl'}, {'name': 'c'}]
        self.assertEqual([x['name'] for x in models.loras_for(SDXL, loras)], ['b', 'c'])
        self.assertEqual([x['name'] for x in models.loras_for(DEMO, loras)], ['a', 'b', 'c'])
        embeddings = [{'name': 'neg', 'family': 'sd1', 'vectors': 2}]
        self.assertEqual(models.embeddings_for(SDXL, embeddings), [])
        self.assertEqual(models.insert_word('a cat', 'neg'), 'a cat, neg')
        self.assertEqual(models.insert_word('', 'neg'), 'neg')

    def test_lora_text_round_trip_and_errors(self):
        self.assertEqual(models.parse_loras('film:0.6, detail\nfilm:1'), [{'name': 'detail', 'weight': 0.8},
                                                                           {'name': 'film', 'weight': 1.0}])
        self.assertEqual(models.add_lora('film:0.6', 'detail', 0.5), 'film:0.6, detail:0.5')
        for bad, field in (('film:x', 'loras.0.weight'), (':1', 'loras.0.name'), ('a:11', 'loras.0.weight')):
            with self.assertRaises(BridgeClientError) as ctx:
                models.parse_loras(bad)
            self.assertEqual(ctx.exception.field, field)
        sent = fields.generate_fields('txt2img', {'prompt': 'x', 'steps': 4, 'guidance': 1.0, 'batch': 1, 'seed': -1,
                                                  'loras': 'film:0.6'}, DEMO, 'euler', (0, 0, 64, 64),
                                      {'maxPixels': 1 << 22})
        self.assertEqual(sent['loras'], [{'name': 'film', 'weight': 0.6}])

    def test_checkpoint_labels(self):
        self.assertEqual(models.checkpoint_label({'name': 'a.safetensors', 'bytes': 2_100_000_000, 'imported': 'a'}),
                         'a.safetensors \u00b7 2.1 GB \u00b7 imported as a')


class RememberTest(unittest.TestCase):
    def test_values_survive_a_failed_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'gimp', remember.FILE)
            remember.save(path, 'latent-bridge-inpaint', {'prompt': 'a red door', 'steps': 12, 'guidance': 6.5,
                                                          'preview': False, 'image': object()})
            remember.save(path, 'latent-bridge-generate', {'prompt': 'other'})
            saved = remember.load(path, 'latent-bridge-inpaint')
            self.assertEqual(saved, {'prompt': 'a red door', 'steps': 12, 'guidance': 6.5, 'preview': False})
            config = {'prompt': 'last good run', 'steps': 20, 'guidance': 7, 'preview': True, 'seed': -1}
            done = remember.restore(config.get, config.__setitem__, list(config), saved)
            self.assertEqual(sorted(done), ['guidance', 'preview', 'prompt', 'steps'])
            self.assertEqual(config, {'prompt': 'a red door', 'steps': 12, 'guidance': 6.5, 'preview': False,
                                      'seed': -1})
            with open(path, 'w') as f:
                f.write('{broken')
            self.assertEqual(remember.load(path, 'latent-bridge-inpaint'), {})


class BigSelectionTest(unittest.TestCase):
    def test_a_6000x4000_select_all_goes_at_the_models_working_size(self):
        w, h = plan.source_size(6000, 4000, 512, 16_000_000)
        self.assertLessEqual(w * h, 4 * 512 * 512)
        self.assertAlmostEqual(w / h, 1.5, places=2)
        w, h = plan.source_size(6000, 4000, 1024, 16_000_000)
        self.assertLessEqual(w * h, plan.SEND_MAX_PIXELS)
        self.assertEqual(plan.source_size(800, 600, 512, 16_000_000), (800, 600))
        self.assertLessEqual(plan.source_size(3000, 2000, 1024, 1_000_000)[0] * plan.source_size(3000, 2000, 1024, 1_000_000)[1], 1_000_000)
        note = plan.size_note((0, 0, 6000, 4000), (1254, 836))
        self.assertIn('6000x4000 area (24.0 MP)', note)
        self.assertIn('scaled back up', note)
        self.assertIsNone(plan.size_note((0, 0, 64, 64), (64, 64)))


if __name__ == '__main__':
    unittest.main()
