"""Animation and prompt-list jobs against a scripted bridge: one result per frame or entry, streamed."""

import json
import unittest

from latent_bridge_client import frames
from latent_bridge_client.job import open_connection

from .test_job import PARAMS, finish_close, greet, read_json, send_result
from .wsserver import TestServer


class SequenceJobTest(unittest.TestCase):
    def _sequence_job(self, params, count, seeds):
        """A fake bridge that streams one result per frame or entry, each after its own progress and
        preview, the way the server runs animations and prompt lists."""
        seen = {}

        def handler(c):
            greet(c)
            gen = read_json(c)
            seen['generate'] = gen
            job = gen['id']
            c.send_text(json.dumps({'type': 'started', 'id': job}))
            for i in range(count):
                for step in (1, 2):
                    c.send_text(json.dumps({'type': 'progress', 'id': job, 'step': i * 2 + step,
                                            'total': count * 2}))
                c.send_text(json.dumps({'type': 'preview', 'id': job, 'index': i, 'frame': 100 + i, 'width': 1,
                                        'height': 1, 'step': 1}))
                c.send_binary(frames.encode_frame('preview', 'raw-rgba', 1, 1, bytes([i, 0, 0, 255]), 100 + i, job, i))
                shade = 255 * i // max(1, count - 1)
                send_result(c, job, i, seeds[i], 2, 2, bytes([255 - shade, 0, shade, 255]) * 4)
            c.send_text(json.dumps({'type': 'done', 'id': job, 'results': count, 'timings': {'totalMs': 1}}))
            finish_close(c)

        events = []
        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                self.assertEqual(conn.capabilities['limits']['maxResults'], 64)
                results = conn.run_job(params, on_preview=lambda p: events.append(('preview', p.index, p.rgba[0])),
                                       on_result=lambda r: events.append(('result', r.index, r.seed)))
        # each result reaches the host as it arrives, after its own previews
        self.assertEqual(events, [e for i in range(count) for e in (('preview', i, i), ('result', i, seeds[i]))])
        return seen['generate'], results

    def test_animation_job_streams_one_result_per_frame(self):
        params = dict(PARAMS, seed=1, batch=1, animation={'frames': 5, 'toPrompt': 'blue', 'toSeed': 2},
                      preview={'every': 1})
        gen, results = self._sequence_job(params, 5, [1, 1, 1, 2, 2])
        self.assertEqual(gen['animation'], {'frames': 5, 'toPrompt': 'blue', 'toSeed': 2})
        self.assertEqual((gen['mode'], gen['batch']), ('txt2img', 1))
        self.assertEqual([r.index for r in results], [0, 1, 2, 3, 4])
        reds = [r.rgba[0] for r in results]
        blues = [r.rgba[2] for r in results]
        self.assertEqual(reds, sorted(reds, reverse=True))
        self.assertEqual(blues, sorted(blues))
        self.assertEqual((reds[0], blues[-1]), (255, 255))

    def test_prompt_list_job_streams_one_result_per_entry(self):
        params = dict(PARAMS, prompt='', batch=1, seed=5, mixMode='noise',
                      prompts=[{'prompt': 'red'}, {'prompt': 'blue'}], preview=True)
        gen, results = self._sequence_job(params, 2, [5, 5])
        self.assertEqual(gen['prompts'], [{'prompt': 'red'}, {'prompt': 'blue'}])
        self.assertEqual((gen['prompt'], gen['mixMode']), ('', 'noise'))
        self.assertEqual([(r.index, r.seed) for r in results], [(0, 5), (1, 5)])


if __name__ == '__main__':
    unittest.main()
