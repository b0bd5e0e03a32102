"""The "user" of the GUI test, inside the sandbox next to GIMP under Xvfb: waits for each dialog
and job window, takes screenshots (xwd) and answers with the keyboard (xdotool): OK for the
jobs, Cancel on the long job's window, Escape for the Settings and Import dialogs. Records window
titles, GIMP's main window title after each job (which image has the focus) and what it did.
Environment: LB_GUI_SHOTS (screenshots, and the scenario marker file "current"), LB_GUI_DRIVER_OUT."""

import json
import os
import subprocess
import time

SHOTS = os.environ['LB_GUI_SHOTS']
OUT = os.environ['LB_GUI_DRIVER_OUT']
log = {'events': [], 'after_titles': {}}


def sh(*args, timeout=10):
    try:
        res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return res.stdout.decode('utf-8', 'replace').strip()
    except subprocess.TimeoutExpired:
        return ''


def windows(pattern):
    ids = sh('xdotool', 'search', '--onlyvisible', '--name', pattern).split()
    return [(w, sh('xdotool', 'getwindowname', w)) for w in ids]


def shot(name):
    path = os.path.join(SHOTS, '%02d-%s.xwd' % (len([e for e in log['events'] if e[0] == 'shot']), name))
    sh('xwd', '-root', '-silent', '-out', path)
    log['events'].append(('shot', name))


def key(window, keys):
    sh('xdotool', 'windowfocus', '--sync', window)
    sh('xdotool', 'key', '--clearmodifiers', keys)
    log['events'].append(('key', window, keys))


def current():
    try:
        with open(os.path.join(SHOTS, 'current')) as f:
            return f.read().strip()
    except OSError:
        return ''


def wait_window(pattern, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = windows(pattern)
        if found:
            return found[0]
        time.sleep(0.2)
    return None


DIALOGS = {'generate': 'Generate', 'img2img-6000x4000': 'Image to Image', 'inpaint': 'Inpaint', 'cancel': 'Animate',
           'outpaint': 'Expand Canvas', 'prompt-list': 'Prompt List', 'settings': 'Settings', 'import': 'Import'}
# Dialogs only looked at: closed with Escape.
LOOK_ONLY = ('outpaint', 'prompt-list', 'settings', 'import')


def main():
    handled = set()
    end = time.monotonic() + 600
    while time.monotonic() < end:
        name = current()
        if name == 'done':
            break
        if name.endswith('-after') and name not in handled:
            handled.add(name)
            shot(name)
            main_window = windows(' GIMP$')
            log['after_titles'][name[:-6]] = [t for _, t in main_window]
            continue
        if name in DIALOGS and name not in handled:
            dialog = wait_window(DIALOGS[name], 60)
            if dialog is None:
                log['events'].append(('no dialog', name))
                handled.add(name)
                continue
            handled.add(name)
            time.sleep(0.8)
            shot(name + '-dialog')
            log['events'].append(('dialog', name, dialog[1]))
            if name in LOOK_ONLY:
                key(dialog[0], 'Escape')
                continue
            key(dialog[0], 'Return')
            job = wait_window('^latent-bridge: ', 30)
            if job is not None:
                log['events'].append(('job window', name, job[1]))
                if name == 'cancel':
                    time.sleep(1.0)  # a preview or two in the window first
                    shot(name + '-job')
                    key(job[0], 'Return')  # the window's only button, Cancel, has the focus
                    log['events'].append(('cancelled', name))
                else:
                    shot(name + '-job')
            continue
        time.sleep(0.2)


try:
    main()
finally:
    log['windows_at_end'] = [t for _, t in windows('.')]
    with open(OUT, 'w') as f:
        json.dump(log, f, indent=1)
