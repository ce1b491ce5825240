"""Answer or refuse: is the best quote likely to answer the question?

The refusal model (service/rescoring.py) looks at the best candidates together: how probable the
best one is and by how much it leads the next, how close it is in meaning, whether it holds the
question's most specific words, whether it gives a number, date or period at all when the question
asks "kiek?" or "per kiek laiko?" and a count in the unit asked ("kiek narių", "per kiek dienų"),
how the answer check (service/verifier.py), reading question and quote together, scores the best
quote and whether it scores it above the other quotes it checked, whether the question is English
or a follow-up. So a question
worded differently from its source, or naming the organisation, is not refused for sharing few
words with it, and a near miss (a deadline of another body, a number the sources do not give)
is refused when nothing stands out. Three rules stay outside the model: a question that names a
place or body no source ever mentions ("Šiaulių centro direktorius") cannot be answered here; nor
can one about a year ("2025 metais") or asking for a phone number or an e-mail address by quotes
that never give it; and a question that names an EQUASS principle as a principle ("pagal etikos
principą") is answered when its best quote is the EQUASS material on that principle, unless it
asks for an amount, a period or a frequency ("kaip dažnai pagal personalo principą…"); for such a
question that material is ranked before the EQUASS overview that names all ten principles.
"""

import re
from functools import lru_cache

import numpy as np
from babel import Locale

from ingest.analyzer import fold
from ingest.principles import TAG_THRESHOLD, Principle, names_all_principles, principles_named
from service.candidates import Candidate
from service.features import INDEX

NAME = re.compile(r"\w+")
# A question's sentences: each one's first word is capitalised anyway ("Šeima gyvena iš pašalpos. Ar …").
SENTENCE = re.compile(r"[^.!?…:;\n]+")
REFUSAL_FEATURES: tuple[str, ...] = (
    "best", "second", "third", "top_three", "margin", "best_cos", "best_cos_adapted", "best_cos_gap_next", "best_cov_context",
    "best_rarest", "best_quantity_missing", "best_unit_missing", "best_chunk_dense", "best_own", "english", "follow_up", "question_terms", "scoped",
    "best_check", "best_check_gap",
)
# What an unchecked candidate counts as: below every checked one (checks score about -4 to 4).
UNCHECKED = -5.0


@lru_cache(maxsize=4)
def country_terms(analyze) -> frozenset[str]:
    """Index terms of the world's countries and regions as Lithuanian names them (Babel's CLDR
    data: "Ukraina", "Vokietija", "Jungtinė Karalystė"), in every case the analyser reduces to one
    stem ("Ukrainos", "Vokietijoje")."""
    return frozenset(term for name in Locale("lt").territories.values() for term in analyze(name))


def unknown_names(question: str, document_frequency, analyze) -> int:
    """Capitalised words inside a sentence of the question that no indexed text uses. A sentence's
    first word ("Šeima gyvena iš pašalpos. Ar jai reikės mokėti…") and a stopword are no names,
    and neither is a country: where a client comes from ("klientė iš Ukrainos") is part of the
    situation, not a source the documents lack."""
    countries = country_terms(analyze)
    count = 0
    for sentence in SENTENCE.findall(question):
        for word in NAME.findall(sentence)[1:]:
            if not word[0].isupper() or word.isupper():
                continue
            terms = analyze(word)
            count += (bool(terms) and all(document_frequency.get(term, 0) == 0 for term in terms)
                      and not countries.intersection(terms))
    return count


def refusal_row(chosen: list[Candidate], scoped: bool) -> np.ndarray:
    """The refusal model's features from the (up to three) candidates that would be quoted, most
    probable first: their probabilities, the features and the answer check of the best one."""
    row = np.zeros(len(REFUSAL_FEATURES))
    if not chosen:
        return row
    probabilities = [c.probability for c in chosen]
    best_candidate = chosen[0]
    best = best_candidate.features
    top = list(probabilities[:3]) + [0.0] * (3 - len(probabilities[:3]))
    values = {
        "best": top[0],
        "second": top[1],
        "third": top[2],
        "top_three": sum(top),
        "margin": top[0] - top[1],
        "best_cos": best[INDEX["cos"]],
        "best_cos_adapted": best[INDEX["cos_adapted"]],
        "best_cos_gap_next": best[INDEX["cos_gap"]],
        "best_cov_context": best[INDEX["cov_context"]],
        "best_rarest": best[INDEX["rare_pair_in_context"]],
        "best_quantity_missing": best[INDEX["quantity_missing"]],
        "best_unit_missing": best[INDEX["unit_missing"]],
        "best_chunk_dense": best[INDEX["chunk_dense"]],
        "best_own": best[INDEX["own_document"]],
        "english": best[INDEX["english"]],
        "follow_up": best[INDEX["follow_up"]],
        "question_terms": best[INDEX["question_terms"]],
        "scoped": float(scoped),
        "best_check": UNCHECKED if best_candidate.check is None else best_candidate.check,
        "best_check_gap": UNCHECKED if best_candidate.check_gap is None else best_candidate.check_gap,
    }
    for i, name in enumerate(REFUSAL_FEATURES):
        row[i] = values[name]
    return row


# A question speaks of a principle as such: "principas", "principą", "principle".
PRINCIPLE_WORD = re.compile(r"princip")


def names_as_principle(question: str, principle: Principle) -> bool:
    """The question is about the principle itself: it says "principas" ("pagal etikos principą") or
    uses the principle's own name ("Kodėl reikalinga partnerystė?"), not merely a word of its
    stem ("etikos komisijoje", "su partneriais", "kliento teises")."""
    low = question.lower()
    # A name of more than one word ("person-centred", "orientacijos į asmenį") is the principle's own.
    names = (principle.name_lt, principle.name_en) + tuple(n for n in principle.names if " " in n or "-" in n)
    return bool(PRINCIPLE_WORD.search(fold(question))) or any(name.lower() in low for name in names)


def on_named_principle(principle: str | None, best: Candidate, documents, asks_quantity: bool = False,
                       unit: str | None = None) -> bool:
    """The question names an EQUASS principle ("Ką reiškia teisių principas?") and the best quote is
    the EQUASS material on that principle: what a newcomer asking it wants to read. Not when the
    question asks for an amount, a period or a frequency (``asks_quantity``: "Kaip dažnai pagal
    personalo principą turi vykti intervizijos?", "Su kiek partnerių mažiausiai… pagal partnerystės
    principą?"), nor when the quote lacks a count in the unit asked ("kiek narių"): the material on a
    principle is no answer to that by itself, and the refusal model decides as for any other question."""
    lacks_unit = best.features is not None and bool(best.features[INDEX["unit_missing"]])
    # "How many principles does EQUASS have?": the text naming all ten counts them ("dešimčia
    # kokybės principų"), so a count of principles is the one amount it answers.
    counts_principles = principle == ALL_PRINCIPLES and unit == PRINCIPLE_UNIT
    return (principle is not None and is_principle_material(best, principle, documents)
            and (not asks_quantity or counts_principles) and not lacks_unit)


# What ``Evidence.principle`` holds for a question about the EQUASS principles as a whole.
ALL_PRINCIPLES = "all"
# The unit a count of principles is asked in (service/question.py: UNITS).
PRINCIPLE_UNIT = "princip"


def about_all_principles(question: str) -> bool:
    """"Kokie yra EQUASS principai?", "What are the EQUASS principles?", "Kiek principų turi EQUASS?":
    the question asks about EQUASS's principles together, naming none of them. Other principles
    ("kokiais principais vadovaujasi socialinis darbuotojas", the law's) are not EQUASS's."""
    folded = fold(question)
    return "equass" in folded and "princip" in folded and not principles_named(question)


def is_principle_material(candidate: Candidate, principle: str, documents) -> bool:
    """The candidate is EQUASS material on this principle (tagged with it), not only naming it; for
    ``ALL_PRINCIPLES``, EQUASS text that names them all."""
    document = documents[candidate.document_id]
    if document.kind != "equass":
        return False
    if principle == ALL_PRINCIPLES:
        return names_all_principles(document.text[candidate.start:candidate.end])
    return candidate.chunk.principles.get(principle, 0.0) >= TAG_THRESHOLD


# How far down the ranking the material on a named principle is looked for.
PRINCIPLE_MATERIAL_WITHIN = 3


def principle_material_first(ranked: list[Candidate], principle: str | None, documents) -> list[Candidate]:
    """For a question naming an EQUASS principle, the material on that principle before other EQUASS
    text: the overview that lists all ten principles by name ("lyderystė, personalas, teisės…")
    matches any of them, and outranked the leadership principle's list of documents for "Kokius
    dokumentus turėtume turėti pagal EQUASS lyderystės principą?". When the most probable
    candidate is EQUASS text that is not on the principle and one of the next few is, that one
    goes first; laws and the organisation's own documents keep their place. The list that names all
    ten principles is looked for among all candidates ("isvardink visus equass principus" typed
    without diacritics ranks it lower): nothing else names them all."""
    if principle is None or not ranked:
        return ranked
    best = ranked[0]
    if documents[best.document_id].kind != "equass" or is_principle_material(best, principle, documents):
        return ranked
    within = len(ranked) if principle == ALL_PRINCIPLES else PRINCIPLE_MATERIAL_WITHIN
    for i, candidate in enumerate(ranked[1:within], start=1):
        if is_principle_material(candidate, principle, documents):
            return [candidate] + ranked[:i] + ranked[i + 1:]
    return ranked


# A year ("2025 metais", "in 2018"): the question asks about that year.
YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")


def years_unquoted(question: str, quoted: list[str]) -> bool:
    """The question names a year that none of the quotes mentions: "Koks minimalus atlyginimas
    2025 metais?" is not answered by a provision on pay that names no year, nor "Kokie buvo
    centro 2018 m. įsivertinimo rezultatai?" by the centre's quality policy. A year a quote does
    mention ("nuo 2020 m. gruodžio") may be answered."""
    return any(all(year not in text for text in quoted) for year in set(YEAR.findall(question)))


# The question asks for a way to reach someone: a phone number, an e-mail address, contact details
# (folded; "ar galima skųstis el. paštu?" asks no address).
ASKS_CONTACT = re.compile(r"telefono numer|tel\.? nr|phone number|el\.? ?pasto adres|e-?mail address"
                          r"|kontaktin\w* (duomen|informacij)|contact details|how (can|do) (i|we) contact"
                          r"|kaip (su ?jais |su ?juo |su ?ja )?susisiekti")
# What gives one: a phone number ("+370 37 123456", "8 (37) 12 34 56") or an e-mail address.
CONTACT = re.compile(r"\+?\d[\d ()-]{6,}\d|[\w.-]+@[\w-]+\.\w+")


def contact_unquoted(question: str, quoted: list[str]) -> bool:
    """The question asks for a phone number, an e-mail address or contact details, and no quote
    gives one: "Koks centro telefono numeris?" is not answered by a sentence about the centre."""
    return bool(ASKS_CONTACT.search(fold(question).lower())) and not any(CONTACT.search(text) for text in quoted)


def quotes_another_organization(own_organization: bool, organization: str | None, owning_organizations: int,
                                first_quote_shared: bool) -> bool:
    """The question is about the asker's own organisation ("Kokia mūsų centro misija?"), none is
    chosen or named, several organisations have documents of their own, and the answer would be one
    of theirs: quoting it as "ours" would answer for a stranger. The asker is to choose first."""
    return own_organization and organization is None and owning_organizations > 1 and not first_quote_shared


def should_refuse(answer_probability: float | None, answer_threshold: float, unknown: int,
                  named_principle: bool = False, detail_unquoted: bool = False) -> bool:
    """Refuse without quotes to weigh, for a name no source mentions, for a year or contact the
    quotes do not give (``detail_unquoted``), and below the answer threshold unless the question
    is about a principle its best quote presents."""
    if answer_probability is None or unknown > 0 or detail_unquoted:
        return True
    return answer_probability < answer_threshold and not named_principle
