"""The rules and the learned model as one stored pickle, so that a fresh process reads them in a few milliseconds.

Every `newsmon classify` is a new process: parsing the rule files (TOML, read in Python) and unpacking the model
(zlib) took about 20 ms of its start. The pair is stored in the cache folder (`newsmon.cache.cache_folder`) under a
name that hashes everything it is read from: the rule files, the model file and the code that reads them. Any
change to one of them reads them anew; an unwritable cache folder only costs the reading.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path
from typing import NamedTuple

from classifiers.learned import SHIPPED_MODEL, LearnedModel, load_model
from classifiers.rules import SHIPPED_RULES_DIR, RuleSet, load_rules
from newsmon.cache import cache_folder, read_stored, store

CACHE_FORMAT = 1  # raise when the stored form changes in a way the hashed code would not show
_CODE = ("rules.py", "arabic.py", "learned.py", "stored.py")


def load_rules_and_model(rules_dir: Path | None = None, *,
                         learned: bool = True) -> tuple[RuleSet, LearnedModel | None]:
    """`load_rules(rules_dir)` and, if `learned`, `load_model()`: from the stored pickle when there is one for
    exactly these files, else read, then stored for the next process."""
    read = _fingerprint(rules_dir or SHIPPED_RULES_DIR, learned)
    stored = cache_folder() / f"classifier-{read.key}.pickle" if read else None
    if stored is not None:
        try:
            found = pickle.loads(read_stored(stored))
            if (isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], RuleSet)
                    and isinstance(found[1], LearnedModel | None) and (found[1] is not None) == learned):
                return found[0], found[1]
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass  # absent, unreadable or from another version of the code: read the files
    rules = load_rules(rules_dir)
    model = load_model() if learned else None
    # Stored only if what was read is what was hashed: a file rewritten in between (a retrained model) is not
    # filed under the name of its former content.
    if read and stored is not None and (rules.digest, model and model.digest) == (read.rules, read.model):
        store(stored, pickle.dumps((rules, model), protocol=pickle.HIGHEST_PROTOCOL))
    return rules, model


class _Read(NamedTuple):
    key: str  # names the stored pickle
    rules: str  # RuleSet.digest of the rule files hashed
    model: str | None  # LearnedModel.digest of the model file hashed


def _fingerprint(folder: Path, learned: bool) -> _Read | None:
    """A hash of everything the rules and model are read from, or None when a file cannot be read (reading them
    then says what is wrong, as without the stored form)."""
    digest = hashlib.sha256(f"{CACHE_FORMAT} {sys.version_info[:2]} {learned} {folder}".encode())
    rules = hashlib.sha1()  # as load_rules computes RuleSet.digest
    model = None
    try:
        for module in _CODE:
            digest.update((Path(__file__).parent / module).read_bytes())
        for path in sorted(folder.glob("*.toml")):
            data = path.read_bytes()
            digest.update(f"\0{path.name}\0{len(data)}\0".encode() + data)
            rules.update(path.name.encode() + b"\0" + data + b"\0")
        if learned:
            data = SHIPPED_MODEL.read_bytes()
            digest.update(data)
            model = hashlib.sha1(data).hexdigest()[:8]  # as load_model computes LearnedModel.digest
    except OSError:
        return None
    return _Read(digest.hexdigest()[:24], rules.hexdigest()[:8], model)
