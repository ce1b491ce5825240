"""Turn extracted text into the clean text that is indexed, served and quoted.

Web pages copied into the corpus carry navigation, "Skip to content" links, contact and footer
blocks and Word artefacts such as ``[bookmark: _GoBack]``. They would pollute answers, and the
contact blocks hold staff names, phones and e-mails that must not be echoed as answers.
"""

import re
import unicodedata

BOOKMARK = re.compile(r"\[bookmark: [^\]\n]{0,300}\]")
HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
MANY_NEWLINES = re.compile(r"\n{3,}")
# A stray ">" after a sentence is left over from HTML markup of the page.
STRAY_BRACKET = re.compile(r"([.!?])>$")

# Whole lines that are navigation of the web pages the corpus was copied from.
NAVIGATION_LINES = {
    "skip to content",
    "svetainės medis",
    "naujienos",
    "kontaktai",
    "plačiau apie projektą",
    "teisės aktai",
    "projekto partneriai",
    "meniu",
    "paieška",
    "spausdinti",
    "dalintis",
    "grįžti",
}

# Lines that belong to contact or footer blocks.
CONTACT_PATTERNS = [
    # An e-mail address. It may only start where a run of address characters starts: otherwise a
    # long word is scanned again from each of its letters, which is quadratic.
    re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.]+"),
    re.compile(r"(\+370|\btel\.|\btelefonas\b)", re.IGNORECASE),
    re.compile(r"\b8\s?\d{3}\s?\d{5}\b"),  # Lithuanian phone number
    re.compile(r"\bLT-\d{5}\b"),  # postal code
    re.compile(r"juridinio asmens kodas|el\. paštas|darbo laikas", re.IGNORECASE),
    re.compile(r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}"),  # opening hours
]

# A line like this marks the start of a page footer: short lines after it are footer too.
FOOTER_MARKERS = re.compile(
    r"^(kontaktai|svetainės medis|turinys atnaujintas|paskutinį kartą atnaujinta)",
    re.IGNORECASE,
)
FOOTER_LINE_MAX = 80
# A footnote of a web page copied as text: "1 Equass kokybės principai aprašyti ...". Its marker in
# the text above is glued to a word ("principais1:") and is dropped, so quotes read as Lithuanian.
FOOTNOTE_LINE = re.compile(r"^(\d{1,2}) [A-ZĄČĘĖĮŠŲŪŽ]", re.MULTILINE)


def drop_footnote_markers(text: str) -> str:
    """Remove "principais1" -> "principais" for every footnote number that has its footnote line below."""
    for footnote in FOOTNOTE_LINE.finditer(text):
        number = footnote.group(1)
        marker = re.compile(rf"(?<=[a-ząčęėįšųūž]{{3}}){number}(?=[\s:;,.)])")
        text = marker.sub("", text[:footnote.start()]) + text[footnote.start():]
    return text


# Control characters (tabs and line breaks aside) and lone UTF-16 surrogates, which JSON can
# carry: neither is text, and a surrogate cannot even be written out as UTF-8.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def normalize(text: str) -> str:
    """NFC-normalise, unify line endings and drop control characters, so offsets mean the same
    thing everywhere and every character can be served."""
    text = SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    return CONTROL.sub("", text)


def clean_line(text: str, max_chars: int = 300) -> str:
    """A one-line field (a title, an organisation) as it may be shown: normalised, on one line,
    at most ``max_chars`` long."""
    return " ".join(normalize(text).split())[:max_chars].strip()


def is_boilerplate(line: str) -> bool:
    low = line.strip().lower().rstrip(":")
    if low in NAVIGATION_LINES:
        return True
    return any(p.search(line) for p in CONTACT_PATTERNS)


def clean_text(text: str) -> str:
    """Clean extracted text: NFC, no artefacts, no boilerplate, tidy whitespace.

    Paragraph breaks (blank lines) are kept because chunking relies on them.
    """
    text = BOOKMARK.sub("", normalize(text))
    kept: list[str] = []
    in_footer = False
    for raw in text.split("\n"):
        line = STRAY_BRACKET.sub(r"\1", HORIZONTAL_SPACE.sub(" ", raw).strip())
        if not line:
            kept.append("")
            continue
        if FOOTER_MARKERS.match(line):
            in_footer = True
            continue
        if is_boilerplate(line):
            continue
        if in_footer and len(line) <= FOOTER_LINE_MAX:
            continue
        in_footer = False
        kept.append(line)
    cleaned = MANY_NEWLINES.sub("\n\n", "\n".join(kept))
    return drop_footnote_markers(cleaned.strip())
