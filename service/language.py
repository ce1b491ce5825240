"""Small, explicit language cues: is a question English, does it name an organisation, is it a follow-up."""

import re

from ingest.analyzer import analyze_query, fold

LITHUANIAN_LETTERS = re.compile(r"[ąčęėįšųūž]", re.IGNORECASE)
WORD = re.compile(r"\w+")
ENGLISH_CUES = {
    "what", "how", "who", "which", "when", "where", "why", "does", "do", "is", "are", "can", "the",
    "of", "and", "for", "our", "policy", "about", "there", "it", "must", "should", "has", "have",
}
ENGLISH_OPENERS = {"what", "how", "who", "which", "when", "where", "why", "does", "is", "are", "can", "since", "according"}
FOLLOW_UP_OPENERS = ("o ", "ir ", "bet ", "and ", "what about", "how about", "tai ")
# Words that point back at what was said before: "jis", "tokį skundą", "tą terminą", "tie auditoriai".
ANAPHORA = {"tai", "ten", "jis", "ji", "jie", "jos", "jų", "jo", "jį", "ją", "juos", "jas", "jam", "jai", "jiems",
            "joms", "šis", "ši", "šią", "šį", "šios", "šie", "šio", "šiam", "tas", "ta", "tą", "tie", "tos", "to",
            "tuo", "toje", "tame", "toks", "tokia", "tokį", "tokią", "tokie", "tokios", "tokius", "tokias", "tokiu",
            "tokiam", "tokiai", "tokio", "tokių", "minėtas", "minėta", "minėtą", "šitas", "šita",
            "this", "that", "these", "those", "there", "it", "they", "them", "its", "their", "such"}
FOLDED_ANAPHORA = {fold(w) for w in ANAPHORA if len(fold(w)) > 2}
# First words of organisation names that say nothing about which organisation is meant.
GENERIC_NAME_WORDS = {"europos", "lietuvos", "valstybės", "savivaldybės", "viešoji", "biudžetinė", "všį", "sbį"}


def is_english(question: str) -> bool:
    """An English question, also when it names a Lithuanian place or term ("Since when has the
    Pagėgiai centre taken part in EQUASS?", "What does 'socialinė priežiūra' mean?"): it opens
    with an English question word, or it has at least two English cue words and fewer words with
    Lithuanian letters than cue words."""
    words = [w.lower() for w in WORD.findall(question)]
    if not words:
        return False
    cues = sum(w in ENGLISH_CUES for w in words)
    lithuanian = sum(bool(LITHUANIAN_LETTERS.search(w)) for w in words)
    return words[0] in ENGLISH_OPENERS or (cues >= 2 and lithuanian < cues)


def organization_aliases(organization: str) -> set[str]:
    """Query terms that name ``organization``: its first distinctive word, or its acronym."""
    words = WORD.findall(organization)
    if not words:
        return set()
    if fold(words[0]) in {fold(w) for w in GENERIC_NAME_WORDS}:
        acronym = "".join(w[0] for w in words if w[0].isalpha()).lower()
        return {acronym} if len(acronym) >= 3 else set()
    return set(analyze_query(words[0]))


def mentioned_organization(question: str, organizations: list[str]) -> str | None:
    """The organisation a question names ("Kaune", "Klaipėdos centre", "ESFA"), if exactly one."""
    terms = set(analyze_query(question)) | {w.lower() for w in WORD.findall(question)}
    named = [org for org in organizations if organization_aliases(org) & terms]
    return named[0] if len(named) == 1 else None


def looks_like_follow_up(question: str) -> bool:
    """A short or referring question that only makes sense after the previous one."""
    low = question.strip().lower()
    words = WORD.findall(low)
    if low.startswith(FOLLOW_UP_OPENERS):
        return True
    if any(w in ANAPHORA or fold(w) in FOLDED_ANAPHORA for w in words):
        return True
    return len(analyze_query(question)) <= 1
