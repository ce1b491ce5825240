"""Spoken spellings of Lithuanian words, written out as the documents spell them.

Staff type as they speak: "ar turim pranešt?", "kur galima pasiskųst", "reikia susimokėt". The
infinitive loses its final "-i" ("pranešt" for "pranešti"), and its stem then differs from the
stem of every form the documents use ("pranest" against "pranes"), so neither the lexical index
nor the answer step's word coverage finds the word. A word ending in "t" is read as such an
infinitive when more indexed passages hold the stem of the word with "i" added than its own
stem; words the documents use as they are ("dešimt", "kasmet") stay as written.
"""

import re

from ingest.analyzer import token_keys
from service.language import WORD

MIN_LENGTH = 4


def full_infinitives(text: str, document_frequency: dict[str, int]) -> str:
    """``text`` with each truncated infinitive ("pranešt") written out ("pranešti")."""
    def frequency(word: str) -> int:
        keys = token_keys(word)
        return max((document_frequency.get(term, 0) for term in keys[0]), default=0) if keys else 0

    def written_out(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < MIN_LENGTH or word[-1] not in "tT":
            return word
        full = word + ("I" if word.isupper() else "i")
        return full if frequency(full) > frequency(word) else word

    return WORD.sub(written_out, text)
