"""Dialog mnemonics without clashes: each label gets one underlined letter (Alt+letter) that no
other label of the dialog, and none of its buttons (_Reset, _Cancel, _OK), uses. No GIMP here."""

# GimpProcedureDialog's own buttons: _Load Saved Settings, _Save Settings, _Help, _Reset, _Cancel, _OK
# (GIMP 3.0.4 warns about "duplicate mnemonic ... and dialog button load-defaults/save-defaults").
DIALOG_BUTTONS = ('l', 's', 'h', 'r', 'c', 'o')


def _candidates(text):
    """Letters to try, best first: word starts, then every other letter, in order."""
    words = text.split()
    starts = [i for i, ch in enumerate(text) if ch.isalnum() and (i == 0 or text[i - 1] == ' ')]
    rest = [i for i, ch in enumerate(text) if ch.isalnum() and i not in starts]
    return starts + rest if words else []


def assign(labels, reserved=DIALOG_BUTTONS, skip=()):
    """``labels`` (with or without an underscore) with unique mnemonics; labels at the indices in
    ``skip`` are returned without one. Letters are matched to labels as a bipartite matching
    (augmenting paths), so a label only goes without when no assignment could give it one; a
    label keeps its own underlined letter, then a word start, when that still leaves the most."""
    plain = [label.replace('_', '') for label in labels]
    options = {}
    for i, label in enumerate(labels):
        if i in skip:
            continue
        at = label.find('_')
        own = [at] if 0 <= at < len(label) - 1 else []
        seen, order = set(), []
        for pos in own + _candidates(plain[i]):
            letter = plain[i][pos].lower()
            if letter not in reserved and letter not in seen:
                seen.add(letter)
                order.append((letter, pos))
        options[i] = order
    owner = {}  # letter -> label index

    def place(i, visited):
        for letter, _ in options[i]:
            if letter in visited:
                continue
            visited.add(letter)
            if letter not in owner or place(owner[letter], visited):
                owner[letter] = i
                return True
        return False

    for i in options:
        place(i, set())
    out = list(plain)
    for letter, i in owner.items():
        pos = next(p for l, p in options[i] if l == letter)
        out[i] = plain[i][:pos] + '_' + plain[i][pos:]
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
