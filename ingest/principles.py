"""The ten EQUASS principles and the tagger that marks which ones a passage addresses.

A chunk's strength for a principle combines two signals: how close it is, in the embedding
space, to the requirements written in the principle's description (corpus/principles/), and
how many of the principle's stemmed Lithuanian keywords it uses. Weights and the tagging
threshold are tuned on evaluation/data/principle_labels.jsonl (``python -m evaluation principles``).
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.analyzer import analyze_query


@dataclass(frozen=True)
class Principle:
    id: str
    name_lt: str
    name_en: str
    # Words a passage about this principle tends to use, in plain Lithuanian (stemmed when loaded).
    keywords: tuple[str, ...]
    # Words that name the principle in a question ("etikos principas", "ethics").
    names: tuple[str, ...]
    questions: tuple[str, ...]


PRINCIPLES: tuple[Principle, ...] = (
    Principle("leadership", "Lyderystė", "Leadership",
              ("vadovybė", "vadovas", "direktorius", "vizija", "misija", "strategija", "strateginis", "vertybės",
               "tikslai", "planavimas", "atsakomybė", "valdymas", "kultūra", "lyderystė", "socialinė atsakomybė"),
              ("lyderystė", "lyderystės", "leadership"),
              ("Kokia mūsų organizacijos misija ir vizija?", "Kas atsakingas už kokybės politikos įgyvendinimą?")),
    Principle("staff", "Personalas", "Staff",
              ("darbuotojai", "personalas", "kvalifikacija", "mokymai", "kompetencija", "samdymas", "atranka",
               "kvalifikacijos kėlimas", "darbo sąlygos", "supervizija", "įvadinis", "vertinimas", "išsaugojimas"),
              ("personalas", "personalo", "darbuotojų principas", "staff"),
              ("Kaip keliama darbuotojų kvalifikacija?", "Kokie reikalavimai socialiniam darbuotojui?")),
    Principle("rights", "Teisės", "Rights",
              ("teisės", "teisė", "chartija", "konfidencialumas", "skundai", "skundas", "sutikimas", "apsauga",
               "asmens duomenys", "orumas", "nediskriminavimas", "lygios galimybės", "privatumas", "informavimas"),
              ("teisių", "teisės", "rights"),
              ("Kokias teises turi paslaugų gavėjas?", "Kaip pateikti skundą?")),
    Principle("ethics", "Etika", "Ethics",
              ("etika", "etikos kodeksas", "etiškai", "pagarba", "orumas", "sąžiningumas", "interesų konfliktas",
               "smurtas", "piktnaudžiavimas", "prevencija", "skaidrumas", "nešališkumas", "vertybės"),
              ("etikos", "etika", "ethics", "ethical"),
              ("Ką daryti, kai kyla interesų konfliktas?", "Kokiomis vertybėmis vadovaujasi darbuotojai?")),
    Principle("partnership", "Partnerystė", "Partnership",
              ("partneriai", "partnerystė", "bendradarbiavimas", "bendruomenė", "steigėjas", "savivaldybė",
               "nevyriausybinės organizacijos", "tinklas", "sutartis", "suinteresuotieji", "tarpinstitucinis"),
              ("partnerystės", "partnerystė", "partnership", "partners"),
              ("Su kuo bendradarbiauja organizacija?", "Kaip vertinamas bendradarbiavimas su partneriais?")),
    Principle("participation", "Dalyvavimas", "Participation",
              ("dalyvavimas", "įtraukimas", "įtraukti", "nuomonė", "sprendimų priėmimas", "apklausa",
               "grįžtamasis ryšys", "atstovai", "taryba", "įsitraukimas", "aktyvus"),
              ("dalyvavimo", "dalyvavimas", "participation"),
              ("Kaip paslaugų gavėjai įtraukiami į sprendimus?", "Kaip renkama paslaugų gavėjų nuomonė?")),
    Principle("person_centred", "Orientacija į asmenį", "Person-centredness",
              ("individualus", "individualūs poreikiai", "poreikiai", "gyvenimo kokybė", "įgalinimas",
               "individualus planas", "asmuo", "savarankiškumas", "pagalbos planas", "asmens poreikiai"),
              ("orientacijos į asmenį", "orientacija į asmenį", "person-centred", "person centred", "person-centredness"),
              ("Kaip sudaromas individualus pagalbos planas?", "Kaip vertinama paslaugų gavėjų gyvenimo kokybė?")),
    Principle("comprehensiveness", "Kompleksiškumas", "Comprehensiveness",
              ("kompleksiškumas", "kompleksinės paslaugos", "tęstinumas", "visapusiškas", "koordinavimas",
               "atvejo vadyba", "integracija", "paslaugų grandinė", "nukreipimas", "kitos paslaugos"),
              ("kompleksiškumo", "kompleksiškumas", "comprehensiveness", "comprehensive"),
              ("Kaip užtikrinamas paslaugų tęstinumas?", "Kokias paslaugas teikia centras?")),
    Principle("result_orientation", "Orientacija į rezultatus", "Result orientation",
              ("rezultatai", "rodikliai", "matavimas", "vertinimas", "ataskaita", "ataskaitos", "analizė",
               "efektyvumas", "pasitenkinimas", "nauda", "pokyčiai", "stebėsena"),
              ("orientacijos į rezultatus", "orientacija į rezultatus", "result orientation", "results"),
              ("Kaip matuojami paslaugų rezultatai?", "Kaip dažnai vertinama veiklos kokybė?")),
    Principle("continuous_improvement", "Nuolatinis gerinimas", "Continuous improvement",
              ("tobulinimas", "tobulėjimas", "tobulinti", "tobulėti", "tobulėjanti", "naujovės", "gerinimas", "nuolat",
               "auditas", "vidaus auditas", "įsivertinimas", "peržiūra",
               "atnaujinimas", "inovacijos", "mokymasis", "pažangos", "korekciniai veiksmai", "pdca"),
              ("nuolatinio gerinimo", "nuolatinis gerinimas", "nuolatinio tobulinimo", "continuous improvement", "improvement"),
              ("Kaip organizacija tobulina savo veiklą?", "Kada vyko vidaus auditas?")),
)
BY_ID = {p.id: p for p in PRINCIPLES}
TAGGER_VERSION = "dense-lexicon-3"

# Strength = DENSE_WEIGHT * dense part + (1 - DENSE_WEIGHT) * keyword part, both in [0, 1].
# Tuned on evaluation/data/principle_labels.jsonl (python -m evaluation principles --sweep):
# 110 hand-labelled passages. The threshold sits one grid step below the best-F1 setting (0.65:
# precision 0.62, recall 0.56) to favour recall (0.6: precision 0.55, recall 0.59), so that a
# coordinator sees a candidate document rather than a false gap.
DENSE_WEIGHT = 0.5
DENSE_FLOOR = 0.82
DENSE_CEILING = 0.90
KEYWORD_SATURATION = 3
TAG_THRESHOLD = 0.6
# Weaker strengths are stored too, so a coordinator sees "almost covered" cells.
STORE_FLOOR = 0.4

LIST_ITEM = re.compile(r"^\d+\.\s+(.+)$", re.MULTILINE)


def keyword_terms(principle: Principle) -> list[set[str]]:
    """Each keyword as the set of index terms it analyses to (a phrase needs all of them)."""
    return [set(analyze_query(k)) for k in principle.keywords if analyze_query(k)]


def requirement_texts(principles_dir: Path, principle: Principle) -> list[str]:
    """What the principle's description says a provider must do: its numbered requirements."""
    path = principles_dir / f"{principle.id}.md"
    texts = [f"{principle.name_lt}: {', '.join(principle.keywords)}"]
    if path.exists():
        texts += [m.group(1).strip() for m in LIST_ITEM.finditer(path.read_text(encoding="utf-8"))]
    return texts


class PrincipleTagger:
    """Scores passages against the ten principles."""

    def __init__(self, embedder, principles_dir: Path):
        self.keywords = {p.id: keyword_terms(p) for p in PRINCIPLES}
        self.prototypes = {}
        for principle in PRINCIPLES:
            texts = requirement_texts(principles_dir, principle)
            self.prototypes[principle.id] = embedder.encode_queries(texts)

    def dense(self, vectors: np.ndarray) -> np.ndarray:
        """(passages × principles) best cosine to any requirement of the principle."""
        return np.stack([(vectors @ self.prototypes[p.id].T).max(axis=1) for p in PRINCIPLES], axis=1)

    def keyword_hits(self, terms: set[str]) -> np.ndarray:
        return np.array([sum(phrase <= terms for phrase in self.keywords[p.id]) for p in PRINCIPLES], dtype=float)

    def signals(self, term_sets: list[set[str]], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(passages × principles) raw signals: best cosine to a requirement, and keyword hits."""
        keywords = np.stack([self.keyword_hits(t) for t in term_sets]) if term_sets else np.zeros((0, len(PRINCIPLES)))
        return self.dense(vectors), keywords

    def strengths(self, term_sets: list[set[str]], vectors: np.ndarray) -> np.ndarray:
        """(passages × principles) strengths from each passage's index terms and vector."""
        return combine(*self.signals(term_sets, vectors))

    def tags(self, term_sets: list[set[str]], vectors: np.ndarray) -> list[dict[str, float]]:
        """Per passage, the principles at or above the storage floor with their strength."""
        strengths = self.strengths(term_sets, vectors)
        return [{p.id: round(float(s), 3) for p, s in zip(PRINCIPLES, row) if s >= STORE_FLOOR} for row in strengths]


def combine(dense: np.ndarray, keywords: np.ndarray, weight: float = DENSE_WEIGHT, floor: float = DENSE_FLOOR,
            ceiling: float = DENSE_CEILING, saturation: float = KEYWORD_SATURATION) -> np.ndarray:
    """Strength in [0, 1]: the cosine rescaled between floor and ceiling, mixed with saturated keyword hits."""
    dense_part = np.clip((dense - floor) / (ceiling - floor), 0, 1)
    keyword_part = np.clip(keywords / saturation, 0, 1)
    return weight * dense_part + (1 - weight) * keyword_part


def principle_named(question: str) -> Principle | None:
    """The principle a question names ("etikos principą", "participation"), if exactly one."""
    low = question.lower()
    terms = set(analyze_query(question))
    named = []
    for principle in PRINCIPLES:
        for name in principle.names:
            name_terms = set(analyze_query(name))
            if (name_terms and name_terms <= terms) or (" " in name and name in low):
                named.append(principle)
                break
    return named[0] if len(named) == 1 else None
