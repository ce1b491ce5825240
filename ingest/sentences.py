"""Sentence spans in Lithuanian text, with exact offsets.

A full stop ends a sentence unless it belongs to an abbreviation (``Nr.``, ``t. y.``,
``pvz.``, ``g.``, ``str.``, ``angl.``), a date (``2019 m. gegužės 4 d.``), an ordinal or list
number (``1.``, ``III.``), an initial (``M. Katkaus``), or stands inside a parenthesis that
closes later on the same line (``(angl. European Quality in Social Services)``). Paragraph breaks and list items always end
a sentence, so every item of a numbered list can be quoted on its own.
"""

import re

# Bump when the splitting or the quotable rule changes: stored sentence vectors are then rebuilt.
SENTENCES_VERSION = "lt-sentences-3"

ABBREVIATIONS = {
    "nr", "t", "y", "pvz", "g", "str", "m", "d", "mėn", "val", "min", "sek", "tel", "el", "p",
    "pan", "kt", "ir", "pr", "a", "vyr", "žr", "plg", "proc", "tūkst", "mln", "mlrd", "eur",
    "lt", "doc", "prof", "dr", "gyd", "šv", "pav", "sk", "psl", "red", "sav", "r", "k", "sp",
    "įst", "vnt", "kv", "pastr", "dal", "punkt", "pt", "sąv", "ten", "vad", "aut", "inž",
    "kt", "e", "i", "etc", "vs", "no", "art", "ca", "angl", "lot", "vok", "pranc", "rus", "lenk",
    "gr", "lit", "ital", "isp", "liet", "t.y", "įsak", "nutar", "rež", "spec", "tarpt",
}
MONTHS = ("sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos", "rugpjūčio",
          "rugsėjo", "spalio", "lapkričio", "gruodžio")
END = re.compile(r"[.!?…]+[\"”“»)]*(?=\s)|[;](?=\s*\n)|\n")
WORD_BEFORE = re.compile(r"(\S+)$")
LIST_NUMBER = re.compile(r"^(\d+(\.\d+)*|[IVXLC]+|[a-z])$")


def _is_false_stop(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` is inside a sentence rather than at its end."""
    if text[dot] != ".":
        return False
    # The word before the full stop, found from the last space before it: searching from the
    # start of the text would make splitting grow with the square of its length.
    word_start = max(text.rfind(" ", 0, dot), text.rfind("\n", 0, dot), text.rfind("\t", 0, dot)) + 1
    before = WORD_BEFORE.search(text, word_start, dot)
    original = before.group(1).lstrip("(„\"") if before else ""
    word = original.lower()
    after = text[dot + 1:dot + 40].lstrip()
    if LIST_NUMBER.match(original):
        line_start = text.rfind("\n", 0, dot) + 1
        if before is not None and before.start() == line_start:
            return True  # "1." or "III." opening a line
    if word == "m" and original == "M":
        return True  # an initial: "M. Katkaus g."
    if word in ABBREVIATIONS:
        # "2019 m." ends a sentence only when a new capitalised sentence follows.
        if word == "m" and not (after[:1].islower() or after.startswith(MONTHS) or after[:1].isdigit()):
            return not after[:1].isupper()
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial
    if _inside_parenthesis(text, dot):
        return True
    return bool(after) and after[0].islower()


# How far around a full stop a parenthesis is looked for.
PARENTHESIS_REACH = 300


def _inside_parenthesis(text: str, dot: int) -> bool:
    """Whether ``dot`` sits in a parenthesis opened earlier on its line and closed later on it."""
    line_start = max(text.rfind("\n", max(0, dot - PARENTHESIS_REACH), dot) + 1, dot - PARENTHESIS_REACH, 0)
    line_end = text.find("\n", dot, dot + PARENTHESIS_REACH)
    line_end = min(len(text), dot + PARENTHESIS_REACH) if line_end < 0 else line_end
    before = text[line_start:dot]
    return before.count("(") > before.count(")") and ")" in text[dot:line_end]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every sentence in ``text[start:end]``, trimmed of surrounding space."""
    end = len(text) if end is None else end
    spans = []
    position = start
    for match in END.finditer(text, start, end):
        stop = match.end()
        if match.group().startswith(".") and _is_false_stop(text, match.start()):
            continue
        _add(text, position, stop, spans)
        position = stop
    _add(text, position, end, spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + piece.index(stripped)
        spans.append((left, left + len(stripped)))


# Sentences shorter than this (list numbers, stray words) are never quoted on their own.
MIN_QUOTE_CHARS = 12
SENTENCE_END = re.compile(r"[.!?;:…)\"“”»]$")


def quotable(sentence: str) -> bool:
    """Whether a sentence can answer a question on its own: not a heading ("## Ką tikrina
    auditorius", "IV. KOKYBĖS VERTINIMAS", a title line) and not a fragment."""
    text = sentence.strip()
    if len(text) < MIN_QUOTE_CHARS or text.startswith("#"):
        return False
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return False
    return bool(SENTENCE_END.search(text)) or len(text.split()) >= 8
