"""The ten EQUASS principles and the tagger that marks which ones a passage addresses.

A chunk's strength for a principle combines two signals: how close it is, in the embedding
space, to the requirements written in the principle's description (corpus/principles/), and
how many of the principle's stemmed Lithuanian keywords it uses. Weights and the tagging
threshold are tuned on evaluation/data/principle_labels.jsonl (``python -m evaluation principles``).
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.analyzer import analyze_document, analyze_query


@dataclass(frozen=True)
class Principle:
    id: str
    name_lt: str
    name_en: str
    # Words a passage about this principle tends to use, in plain Lithuanian (stemmed when loaded).
    # A trailing "*" lets the stems also match longer stems they begin (see ``matchable``).
    keywords: tuple[str, ...]
    # Words that name the principle in a question ("etikos principas", "ethics").
    names: tuple[str, ...]
    # Questions for a new employee, answered from the principle's EQUASS description (tested in
    # tests/test_onboarding.py); questions about an organisation's own documents are in
    # service/onboarding_questions.json.
    questions: tuple[str, ...]
    # Laws (document ids) this principle rests on: the onboarding step quotes them, and no other law.
    legal_basis: tuple[str, ...] = ()


PRINCIPLES: tuple[Principle, ...] = (
    Principle("leadership", "Lyderystė", "Leadership",
              ("vadovybė", "įstaigos vadovas", "vadovaujamas pareigas", "direktorius", "vizija", "misija", "strategija", "strateginis planas",
               "veiklos planas", "vertybės", "valdymas", "organizacijos kultūra", "įstaigos kultūra", "lyderystė",
               "socialinė atsakomybė", "socialinės atsakomybės", "ištekliai", "racionaliai", "viešinama",
               "reputacija", "kadencija", "konkursas vadovo pareigoms", "kokybės koordinatorius", "politikos įgyvendinimą"),
              ("lyderystė", "lyderystės", "leadership"),
              ("Ką reiškia lyderystės principas?",)),
    Principle("staff", "Personalas", "Staff",
              ("darbuotojai", "personalas", "kvalifikacija", "mokymai", "kompetencija", "samdymas", "atranka",
               "darbo sąlygos", "supervizija", "intervizija", "įvadinis", "įvadas", "mentorius", "išsaugojimas",
               "komandinis darbas", "profesionalumas", "pareigybė", "saugos ir sveikatos", "perdegimas",
               "supažindinami pasirašytinai", "motyvuotų"),
              ("personalas", "personalo", "darbuotojų principas", "staff"),
              ("Ko reikalauja personalo principas?", "Kaip dažnai vyksta darbuotojų veiklos vertinimo pokalbiai?"),
              ("lt-law-x-493",)),
    Principle("rights", "Teisės", "Rights",
              ("gavėjų teisės", "asmens teisės", "žmogaus teisės", "teisė skųstis", "teisę skųstis", "chartija",
               "konfidencialiai*", "skundas", "skųstis", "apskundimas", "sutikimas",
               "asmens duomenys", "duomenų apsauga", "privatumas", "orumas", "nediskriminavimas",
               "lygios galimybės", "vienodas požiūris", "apsisprendimas", "pasirinkimo laisvė", "pasirenka",
               "informavimas"),
              ("teisių", "teisės", "rights"),
              ("Ką reiškia teisių principas?",),
              ("lt-law-x-493", "lt-pdpa-i1374",)),
    Principle("ethics", "Etika", "Ethics",
              ("etika", "etikos kodeksas", "etiškai", "etinės dilemos", "pagarba", "gerbia", "orumas", "sąžiningumas",
               "sąžiningai", "interesų konfliktas", "smurtas", "prievarta", "piktnaudžiavimas", "išnaudojimas",
               "skaidrumas", "nešališkumas", "objektyvumas", "vertybės", "netinkamas elgesys", "pažeidimai",
               "reputacija", "empatiškai"),
              ("etikos", "etika", "ethics", "ethical"),
              ("Ką reiškia etikos principas?", "Kaip elgtis su interesų konfliktais?"),
              ("lt-law-x-493",)),
    Principle("partnership", "Partnerystė", "Partnership",
              ("partneriai", "partnerystė", "bendradarbiavimas", "bendruomenė", "steigėjas",
               "nevyriausybinės organizacijos", "tinklas", "bendradarbiavimo sutartis", "suinteresuotosios",
               "suinteresuotais", "tarpinstitucinis", "kitos institucijos", "finansuotojai", "bendri projektai"),
              ("partnerystės", "partnerystė", "partnership", "partners"),
              ("Ką reiškia partnerystės principas?", "Kodėl reikalinga partnerystė?"),
              ("lt-law-x-493",)),
    Principle("participation", "Dalyvavimas", "Participation",
              ("dalyvavimas", "įtraukti*", "įsitraukti*", "nuomonė", "sprendimų priėmimas",
               "apklausa", "grįžtamasis ryšys", "gavėjų taryba", "įsitraukimas", "susirinkimai",
               "pasiūlymai", "bendradarbiavimas su paslaugų gavėjais", "kartu su paslaugų gavėjais",
               "socialinė atskirtis"),
              ("dalyvavimo", "dalyvavimas", "participation"),
              ("Ką reiškia dalyvavimo principas?", "Kaip paslaugų gavėjai gali pareikšti nuomonę?"),
              ("lt-law-x-493",)),
    Principle("person_centred", "Orientacija į asmenį", "Person-centredness",
              ("individualus*", "individualūs poreikiai", "poreikiai", "gyvenimo kokybė",
               "įgalinti*", "individualus planas", "savarankiškai*", "pagalbos planas",
               "stiprybės", "orientacija į asmenį", "orientacija į paslaugų gavėją", "pageidavimai", "kuratorius",
               "asmens interesai", "kas jums svarbu"),
              ("orientacijos į asmenį", "orientacija į asmenį", "person-centred", "person centred", "person-centredness"),
              ("Ką reiškia orientacija į asmenį?", "Kaip sudaromas individualus pagalbos planas?"),
              ("lt-law-x-493",)),
    Principle("comprehensiveness", "Kompleksiškumas", "Comprehensiveness",
              ("kompleksiškumas", "kompleksinės paslaugos", "kompleksiškai", "tęstinumas", "visapusiškas",
               "visapusiškumas", "koordinavimas", "koordinuoja", "atvejo vadyba", "integracija", "paslaugų grandinė",
               "nukreipimas", "nukreipti", "kitos paslaugos", "prieinamumas", "suderinta pagalba", "perėjimas",
               "informacijos perdavimas", "nenutrūkstama", "nenutrūktų", "paslaugų spektras"),
              ("kompleksiškumo", "kompleksiškumas", "comprehensiveness", "comprehensive"),
              ("Ką reiškia kompleksiškumo principas?", "Kaip pagal kompleksiškumo principą užtikrinamas paslaugų tęstinumas?"),
              ("lt-law-x-493",)),
    Principle("result_orientation", "Orientacija į rezultatus", "Result orientation",
              ("rezultatai", "rodikliai", "matavimas", "matuojami", "išmatuoti", "vertinimas", "vertinama", "ataskaita",
               "analizė", "efektyviai*", "veiksmingumas", "pasitenkinimas", "nauda", "pokyčiai", "poveikis",
               "stebėsena", "tikslinės reikšmės", "pasiekti"),
              ("orientacijos į rezultatus", "orientacija į rezultatus", "result orientation", "results"),
              ("Ką reiškia orientacija į rezultatus?", "Kokius veiklos rodiklius turi nustatyti organizacija?"),
              ("lt-law-x-493",)),
    Principle("continuous_improvement", "Nuolatinis gerinimas", "Continuous improvement",
              ("tobulinti*", "naujovės", "gerinimas",
               "nuolat", "nuolatinis", "auditas", "vidaus auditas", "įsivertinimas", "peržiūra", "atnaujinimas",
               "inovacijos", "mokymasis", "mokytis", "pažanga", "korekciniai veiksmai", "neatitiktys", "pdca",
               "klaidos", "idėjos", "kokybės gerinimas", "rekomendacijos"),
              ("nuolatinio gerinimo", "nuolatinis gerinimas", "nuolatinio tobulinimo", "continuous improvement", "improvement"),
              ("Ką reiškia nuolatinio gerinimo principas?",)),
)
BY_ID = {p.id: p for p in PRINCIPLES}
TAGGER_VERSION = "unit-lexicon-5"

# Strength = DENSE_WEIGHT * dense part + (1 - DENSE_WEIGHT) * keyword part, both in [0, 1].
# Tuned on evaluation/data/principle_labels.jsonl (python -m evaluation principles --sweep):
# 254 hand-labelled passages, embedded as ingest embeds quote units (with title and section).
# The shipped setting is the best F1 of the grid at the 0.6 threshold (precision 0.75, recall
# 0.69); the grid's best overall (weight 0.3, threshold 0.5) differs by 0.004 in F1. A chunk is
# scored unit by unit (see ``tag_chunks``).
DENSE_WEIGHT = 0.5
DENSE_FLOOR = 0.80
DENSE_CEILING = 0.88
KEYWORD_SATURATION = 3
TAG_THRESHOLD = 0.6
# A question resembles a principle from this strength up (see ``closest_principle``).
RESEMBLANCE_FLOOR = 0.35
# Weaker strengths are stored too, so a coordinator sees "almost covered" cells.
STORE_FLOOR = 0.4

# Keyword stems this long also match the longer stems they begin (see ``matchable``).
PREFIX_MIN = 4

LIST_ITEM = re.compile(r"^\d+\.\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Keyword:
    """A keyword as index terms: a phrase needs all of them; ``prefix`` terms also match longer stems."""

    terms: frozenset[str]
    prefix: bool


def keyword_terms(principle: Principle) -> list[Keyword]:
    keywords = []
    for keyword in principle.keywords:
        terms = frozenset(analyze_query(keyword.rstrip("*")))
        if terms:
            keywords.append(Keyword(terms, keyword.endswith("*")))
    return keywords


def matchable(terms: set[str]) -> set[str]:
    """A passage's terms and their prefixes of at least ``PREFIX_MIN`` letters. The Snowball stemmer
    keeps derived forms apart ("įtraukti" -> itrauk, "įtraukimas" -> itraukim, "individualumui" ->
    individualum), so a keyword marked with "*" matches the longer stems its stem begins. Only
    marked ones do: "vadovas" and "vadovaujasi" ("is guided by") share the stem vadov already."""
    keys = set(terms)
    for term in terms:
        keys.update(term[:end] for end in range(PREFIX_MIN, len(term)))
    return keys


def requirement_texts(principles_dir: Path, principle: Principle) -> list[str]:
    """What the principle's description says a provider must do: its numbered requirements."""
    path = principles_dir / f"{principle.id}.md"
    texts = [f"{principle.name_lt}: {', '.join(k.rstrip('*') for k in principle.keywords)}"]
    if path.exists():
        texts += [m.group(1).strip() for m in LIST_ITEM.finditer(path.read_text(encoding="utf-8"))]
    return texts


class PrincipleTagger:
    """Scores passages against the ten principles."""

    def __init__(self, embedder, principles_dir: Path):
        self.keywords = {p.id: keyword_terms(p) for p in PRINCIPLES}
        self.names = [frozenset(analyze_query(p.name_lt)) for p in PRINCIPLES] + [frozenset(analyze_query("teisė"))]
        self.prototypes = {}
        for principle in PRINCIPLES:
            texts = requirement_texts(principles_dir, principle)
            self.prototypes[principle.id] = embedder.encode_queries(texts)

    def dense(self, vectors: np.ndarray) -> np.ndarray:
        """(passages × principles) best cosine to any requirement of the principle."""
        return np.stack([(vectors @ self.prototypes[p.id].T).max(axis=1) for p in PRINCIPLES], axis=1)

    def keyword_hits(self, terms: set[str]) -> np.ndarray:
        keys = matchable(terms)
        named = [names for names in self.names if names <= terms]
        # A passage that lists the principles ("vadovaujasi EQUASS principais: lyderystė, personalas,
        # ...", or a bullet "• lyderystė;") names them without saying how they are put into practice.
        enumeration = len(named) >= 3 or (named and len(terms - set().union(*named)) <= 1)
        return np.array([sum(k.terms <= (keys if k.prefix else terms) for k in self.keywords[p.id]
                             if not (enumeration and any(k.terms <= names for names in named)))
                         for p in PRINCIPLES], dtype=float)

    def signals(self, term_sets: list[set[str]], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(passages × principles) raw signals: best cosine to a requirement, and keyword hits."""
        keywords = np.stack([self.keyword_hits(t) for t in term_sets]) if term_sets else np.zeros((0, len(PRINCIPLES)))
        return self.dense(vectors), keywords

    def strengths(self, term_sets: list[set[str]], vectors: np.ndarray) -> np.ndarray:
        """(passages × principles) strengths from each passage's index terms and vector."""
        return combine(*self.signals(term_sets, vectors))


@dataclass
class ChunkTags:
    """A chunk's principles with their strength, and for each the span of the sentence that earned it."""

    strengths: dict[str, float]
    evidence: dict[str, tuple[int, int]]


def tag_chunks(tagger: PrincipleTagger, chunk_terms: list[set[str]], chunk_vectors: np.ndarray,
               sentence_chunks: np.ndarray, sentence_spans: np.ndarray, sentence_terms: list[set[str]],
               sentence_vectors: np.ndarray) -> list[ChunkTags]:
    """Tags per chunk, scored sentence by sentence: a chunk addresses a principle as strongly as its
    best sentence does, and that sentence is the evidence a coordinator sees. Scoring the whole chunk
    would let a long passage collect keywords of many principles from unrelated sentences. A chunk
    without quotable sentences (or an index built without sentence vectors) is scored as a whole."""
    sentence_strengths = tagger.strengths(sentence_terms, sentence_vectors) if len(sentence_terms) else None
    whole = tagger.strengths(chunk_terms, chunk_vectors)
    rows_of: dict[int, list[int]] = {}
    for row, chunk in enumerate(sentence_chunks.tolist()):
        rows_of.setdefault(chunk, []).append(row)
    tags = []
    for chunk, chunk_strengths in enumerate(whole):
        rows = rows_of.get(chunk)
        if not rows:
            tags.append(ChunkTags({p.id: round(float(v), 3) for p, v in zip(PRINCIPLES, chunk_strengths) if v >= STORE_FLOOR}, {}))
            continue
        block = sentence_strengths[rows]
        best = block.argmax(axis=0)
        strengths, evidence = {}, {}
        for column, principle in enumerate(PRINCIPLES):
            value = float(block[best[column], column])
            if value >= STORE_FLOOR:
                strengths[principle.id] = round(value, 3)
                evidence[principle.id] = tuple(int(v) for v in sentence_spans[rows[best[column]]])
        tags.append(ChunkTags(strengths, evidence))
    return tags


def closest_principle(tagger: PrincipleTagger, embedder, question: str) -> str | None:
    """The principle a question (e.g. one the assistant could not answer) most resembles, or None
    when it resembles none: what the tagger would call a passage with the same words and meaning."""
    vector = embedder.encode_queries([question])
    strengths = tagger.strengths([set(analyze_query(question))], vector)[0]
    best = int(strengths.argmax())
    return PRINCIPLES[best].id if strengths[best] >= RESEMBLANCE_FLOOR else None


def combine(dense: np.ndarray, keywords: np.ndarray, weight: float = DENSE_WEIGHT, floor: float = DENSE_FLOOR,
            ceiling: float = DENSE_CEILING, saturation: float = KEYWORD_SATURATION) -> np.ndarray:
    """Strength in [0, 1]: the cosine rescaled between floor and ceiling, mixed with saturated keyword hits."""
    dense_part = np.clip((dense - floor) / (ceiling - floor), 0, 1)
    keyword_part = np.clip(keywords / saturation, 0, 1)
    return weight * dense_part + (1 - weight) * keyword_part


# A text naming at least this many of the ten principles lists them (the EQUASS overview).
ALL_BUT = 8


@lru_cache(maxsize=4096)
def names_all_principles(text: str) -> bool:
    """The text names (nearly) all ten EQUASS principles: a list of them. Cached: the candidate
    builder reads every EQUASS unit once, and the answer step asks again of the units it weighs."""
    terms = set(analyze_document(text))
    return sum(1 for p in PRINCIPLES if set(analyze_query(p.name_lt)) <= terms) >= ALL_BUT


def principle_named(question: str) -> Principle | None:
    """The principle a question names ("etikos principą", "participation"), if exactly one."""
    named = principles_named(question)
    return named[0] if len(named) == 1 else None


def principles_named(question: str) -> list[Principle]:
    """The principles a question names, by their names and the other words for them."""
    low = question.lower()
    terms = set(analyze_query(question))
    named = []
    for principle in PRINCIPLES:
        for name in principle.names:
            name_terms = set(analyze_query(name))
            if (name_terms and name_terms <= terms) or (" " in name and name in low):
                named.append(principle)
                break
    return named
