"""The Lithuanian analyser behind the lexical index.

Staff often type without diacritics ("kaip daznai vertinama kokybe"). The Snowball
Lithuanian stemmer's suffixes carry diacritics, so the stem of a word typed without them can
differ (``gavėjų`` -> ``gav`` but ``gaveju`` -> ``gavej``). A document token is therefore
indexed under two terms, the folded stem of the word as written and the stem of the folded
word; a query token uses the first when it carries diacritics and the second when it does not.
Stopwords are dropped in both spellings.
"""

import re
import unicodedata
from functools import lru_cache

import Stemmer
import stopwordsiso

# Bump when tokens change, so an index built by another version is rebuilt, not misread.
ANALYZER_VERSION = "lt-snowball-fold-2"

TOKEN = re.compile(r"\w+", re.UNICODE)
FOLD = str.maketrans("ąčęėįšųūž", "aceeisuuz")
# Question and copula words that stopwordsiso's Lithuanian list lacks.
LITHUANIAN_EXTRA_STOPWORDS = {"yra", "buvo", "bus", "būti", "kada", "kodėl", "kiek", "kokie", "kokios", "kuri", "kuris"}
ENGLISH_STOPWORDS = {
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "of", "on", "or", "our", "the", "to", "we", "what", "when", "where",
    "which", "who", "why", "with", "you", "your", "there", "this", "that", "about", "many", "much",
}


def fold(text: str) -> str:
    """Lowercase and drop Lithuanian (and any other) diacritics."""
    text = text.lower().translate(FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("lithuanian")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    # stopwordsiso ships its Lithuanian list as Windows-1257 bytes decoded as Latin-1
    # ("aukðèiau"); re-decoding restores "aukščiau".
    words = set()
    for word in stopwordsiso.stopwords("lt"):
        try:
            word = word.encode("latin-1").decode("cp1257")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        words.add(fold(word))
    return frozenset(words | {fold(w) for w in LITHUANIAN_EXTRA_STOPWORDS} | ENGLISH_STOPWORDS)


@lru_cache(maxsize=200_000)
def _terms(token: str) -> tuple[str, str]:
    """(folded stem of the word as written, stem of the folded word)."""
    stemmer = _stemmer()
    folded = fold(token)
    return fold(stemmer.stemWord(token)), stemmer.stemWord(folded)


def _tokens(text: str) -> list[str]:
    stop = stopwords()
    return [t for t in TOKEN.findall(text.lower()) if len(t) > 1 and fold(t) not in stop]


def analyze_document(text: str) -> list[str]:
    """Index terms of a passage: both stems of every content word (once when they agree)."""
    terms = []
    for token in _tokens(text):
        written, folded = _terms(token)
        terms.append(written)
        if folded != written:
            terms.append(folded)
    return terms


def analyze_query(text: str) -> list[str]:
    """Query terms: the stem that matches how the user spelled each word."""
    terms = []
    for token in _tokens(text):
        written, folded = _terms(token)
        terms.append(written if fold(token) != token else folded)
    return terms


def token_keys(text: str) -> list[frozenset[str]]:
    """Per content word, both of its index terms: two spellings of a word (with and without
    diacritics) share at least one, which lets a question's word match a phrase's word."""
    return [frozenset(_terms(token)) for token in _tokens(text)]
