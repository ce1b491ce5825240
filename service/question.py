"""What a question asks for: its language, its type and the words that carry its content.

The answer step needs to know more than the words of a question. "Kas yra socialinė globa?"
wants the law's definition, "Per kiek dienų…" the sentence that carries a period, "Kokios yra
socialinių paslaugų rūšys?" a list, "Kas atsakingas…" a sentence naming who acts. Cues are matched
on the folded question (lowercase, no diacritics), so "kas atsakingas" and "kas atsakingas"
typed without Lithuanian letters are the same, and English cues sit beside the Lithuanian ones.
"""

import re
from dataclasses import dataclass

from ingest.analyzer import analyze_query, fold
from service.language import is_english

# Question types, in the order they are tried; a question may have several (a list of deadlines).
TYPE_CUES: dict[str, re.Pattern] = {
    "definition": re.compile(
        r"^(kas (yra|tai|vadinama)|ka (reiskia|vadiname)|kuo laikoma|kaip apibrezia|what (is|are|does)\b"
        r"|define\b|definition|meaning of)|\b(apibrezim|savok|reiksm)|\bkas yra\b|\bwhat is\b"),
    "list": re.compile(
        r"\b(kokios|kokie|kokias|kokius|kurios|kurie|kuriuos|kurias|isvardink|isvardinkite|visi|visos"
        r"|rusys|rusis|rusiu|etapai|etapus|zingsniai|zingsnius|principai|principus|tikslai|tikslus"
        r"|vertybes|priemones|paslaugos|teises|pareigos|sarasas|kinds?|types?|steps|stages|list|which"
        r"|what are|principles|goals|values|rights|duties)\b"),
    "deadline": re.compile(
        r"\b(per kiek|kiek laiko|kada|iki kada|iki kurios|kuria diena|kuriais metais|terminas|termina|terminai|trukme|kaip ilgai|kaip daznai"
        r"|kas kiek|galioja|galiojimas|how long|how soon|how often|within|deadline|when|valid)\b"),
    "amount": re.compile(r"\b(kiek|how much|how many|suma|dydis|dydi|kaina|procent|number of|amount)\b"),
    "responsible": re.compile(
        r"\b(kas (atsakingas|atsakinga|atsako|sprendzia|skiria|moka|tvirtina|organizuoja|priima|vykdo"
        r"|finansuoja|tikrina|prizi|teikia|isduoda|nustato|koordinuoja|atlieka)|kam (tenka|priklauso)"
        r"|kieno|who\b|responsible|in charge)"),
    "may_must": re.compile(
        r"\b(ar (gali|galima|galiu|galime|turi|turiu|turime|privalo|privalau|privalome|leidziama|reikia"
        r"|butina|draudziama)|privalo|privaloma|turi teise|leidziama|draudziama|may|must|allowed|obliged"
        r"|required|can (i|we|a|the)|should|have to|has to)\b"),
}
# What a "kiek …?" question counts: the first letters of the unit it asks in ("kiek narių", "per kiek
# dienų", "kelerius metus", "iki kurios datos", "how many days"). An answer must give a number of
# that unit; a number of anything else ("per 4 mėnesius" for "per kiek dienų") does not answer it.
# Each unit by the beginnings of the words that name it, as patterns ("metu", "metus", "metai" are
# years; a bare "met" would also take "metodika"; "eur" but not "Europos").
UNITS: dict[str, tuple[str, ...]] = {
    "dien": ("dien",), "savait": ("savait",), "menes": ("menes",), "met": ("metu", "metus", "metai"),
    "valand": ("valand",), "minut": ("minut",), "eur": ("eur(?!op)",), "procent": ("procent",), "nari": ("nari",),
    "kart": ("kart",), "kriterij": ("kriterij",), "princip": ("princip",), "kvadrat": ("kvadrat",), "dat": ("dat",),
    "lygi": ("lygi",), "etap": ("etap",), "zingsn": ("zingsn",),
}
UNIT_WORDS = {unit: re.compile("|".join(beginnings)) for unit, beginnings in UNITS.items()}
# The units a length of time is counted in ("per kiek laiko?": "per 4 mėnesius", "trejus metus").
TIME_UNITS = ("dien", "savait", "menes", "met", "valand", "minut")
ASKS_COUNT = re.compile(r"\b(kiek|keliu|kelis|kelias|kelerius|kurios|kokio|kokia|kokiu)\s+(\w+)(?:\s+(\w+))?")
ENGLISH_UNITS = {"days": "dien", "day": "dien", "weeks": "savait", "months": "menes", "years": "met", "hours": "valand",
                 "members": "nari", "times": "kart", "euros": "eur", "eur": "eur", "percent": "procent", "criteria": "kriterij",
                 "principles": "princip", "levels": "lygi", "steps": "zingsn", "stages": "etap", "date": "dat"}
ASKS_COUNT_ENGLISH = re.compile(r"\b(how many|how much|which|what|within how many|by what)\s+(\w+)(?:\s+(\w+))?")
# "Mūsų centras", "pas mus", "our centre": the question is about the asker's own organisation.
OWN_ORGANIZATION = re.compile(r"\b(musu|mus|mes|musiskis|our|we|us)\b")


@dataclass(frozen=True)
class QuestionProfile:
    """The question as the answer step reads it."""

    text: str
    english: bool
    types: frozenset[str]
    terms: tuple[str, ...]  # index terms of the question, as the lexical index spells them
    own_organization: bool  # "mūsų", "our": the asker means their own organisation
    unit: str | None = None  # what a "kiek …?" question counts (UNITS), None when it asks no count

    def asks(self, kind: str) -> bool:
        return kind in self.types

    @property
    def asks_quantity(self) -> bool:
        """It asks for an amount, a period, a date or a frequency ("kiek?", "per kiek laiko?", "kaip dažnai?")."""
        return self.asks("amount") or self.asks("deadline")


def profile(question: str) -> QuestionProfile:
    folded = " ".join(fold(question).split())
    types = frozenset(name for name, cue in TYPE_CUES.items() if cue.search(folded))
    return QuestionProfile(
        text=question,
        english=is_english(question),
        types=types,
        terms=tuple(analyze_query(question)),
        own_organization=bool(OWN_ORGANIZATION.search(folded)),
        unit=asked_unit(folded),
    )


# "Kiek vietų", "kiek paslaugų gavėjų", "kiek organizacijų": a count of something no unit above
# names, by the last of the genitive plurals after "kiek" (folded, they end in "u"). Words ending so
# that name no thing counted, and money, which the sources give as a sum, not a count, are left out.
COUNTED = re.compile(r"\bkiek((?:\s+\w+u\b){1,3})")
NOT_COUNTED = {"daugiau", "maziau", "ilgiau", "jau", "tu", "kartu", "vienu", "metu", "pinigu", "lesu", "eur", "euru"}
# "Per kiek laiko", "how long": a length of time, counted in any unit of time ("per 4 mėnesius").
LENGTH_OF_TIME = re.compile(r"\b(kiek laiko|how long)\b")
# A noun's stem for a count of it: "gavej" of "gaveju", "viet" of "vietu"; one unit of its own.
COUNTED_UNIT = "#"


def asked_unit(folded: str) -> str | None:
    """The unit a count question asks in, from one of the two words after its question word, "laik"
    for a length of time in any unit, or ``#`` and the stem of the thing it counts ("#viet" for
    "kiek vietų")."""
    for match in ASKS_COUNT.finditer(folded):
        for word in match.group(2, 3):
            unit = next((u for u, pattern in UNIT_WORDS.items() if word and pattern.match(word)), None)
            if unit:
                return unit
    for match in ASKS_COUNT_ENGLISH.finditer(folded):
        for word in match.group(2, 3):
            if word in ENGLISH_UNITS:
                return ENGLISH_UNITS[word]
    if LENGTH_OF_TIME.search(folded):
        return "laik"
    for match in COUNTED.finditer(folded):
        words = match.group(1).split()
        if words[0] in NOT_COUNTED:
            continue
        stems = [stem for word in words if word not in NOT_COUNTED for stem in analyze_query(word)[:1] if len(stem) >= 4]
        if stems:
            return COUNTED_UNIT + stems[-1]
    return None
