"""Dialog mnemonics without clashes: each label gets one underlined letter (Alt+letter) that no
other label of the dialog, and none of its buttons (_Reset, _Cancel, _OK), uses. No GIMP here."""

# GimpProcedureDialog's own buttons.
DIALOG_BUTTONS = ('r', 'c', 'o')


def _candidates(text):
    """Letters to try, best first: word starts, then every other letter, in order."""
    words = text.split()
    starts = [i for i, ch in enumerate(text) if ch.isalnum() and (i == 0 or text[i - 1] == ' ')]
    rest = [i for i, ch in enumerate(text) if ch.isalnum() and i not in starts]
    return starts + rest if words else []


def assign(labels, reserved=DIALOG_BUTTONS, skip=()):
    """``labels`` (with or without an underscore) with unique mnemonics; labels at the indices in
    ``skip`` are returned without one. A label keeps its own letter when still free."""
    used = set(reserved)
    plain = [label.replace('_', '') for label in labels]
    out = list(plain)
    wanted = {}
    for i, label in enumerate(labels):
        at = label.find('_')
        if i not in skip and 0 <= at < len(label) - 1:
            wanted[i] = at
    order = list(wanted) + [i for i in range(len(labels)) if i not in wanted and i not in skip]
    for i in order:
        text = plain[i]
        choices = ([wanted[i]] if i in wanted else []) + _candidates(text)
        for at in choices:
            letter = text[at].lower()
            if letter not in used:
                used.add(letter)
                out[i] = text[:at] + '_' + text[at:]
                break
    return out


def clashes(labels, reserved=DIALOG_BUTTONS):
    """Letters used by more than one label (or a button): what a test asserts is empty."""
    seen, bad = set(reserved), set()
    for label in labels:
        at = label.find('_')
        if 0 <= at < len(label) - 1:
            letter = label[at + 1].lower()
            if letter in seen:
                bad.add(letter)
            seen.add(letter)
    return sorted(bad)
