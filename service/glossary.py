"""English words of the domain and the Lithuanian words the documents use for them.

The sources are Lithuanian; the lexical index knows Lithuanian stems only. An English question
("How long is the EQUASS certificate valid?") is ranked by the dense model, which reads both
languages, and by the Lithuanian words of its domain terms ("galioja", "sertifikatas"), so that
the lexical side and the answer step's word coverage work for it too.
"""

import re

import stopwordsiso

from ingest.analyzer import analyze_query
from service.language import WORD

# Longer phrases first: "personal data" before "data".
GLOSSARY: dict[str, str] = {
    "person-centred": "orientacija į asmenį", "person centred": "orientacija į asmenį",
    "person-centredness": "orientacija į asmenį", "result orientation": "orientacija į rezultatus",
    "continuous improvement": "nuolatinis gerinimas tobulinimas", "quality policy": "kokybės politika",
    "quality system": "kokybės sistema", "quality management": "kokybės valdymas",
    "service user": "paslaugų gavėjas", "service users": "paslaugų gavėjai", "social worker": "socialinis darbuotojas",
    "social workers": "socialiniai darbuotojai", "case manager": "atvejo vadybininkas",
    "case management": "atvejo vadyba", "personal data": "asmens duomenys", "data protection": "duomenų apsauga",
    "data subject": "duomenų subjektas", "data controller": "duomenų valdytojas", "controller": "duomenų valdytojas",
    "data processor": "duomenų tvarkytojas", "processor": "duomenų tvarkytojas",
    "personal code": "asmens kodas", "personal identification number": "asmens kodas", "id number": "asmens kodas",
    "code of ethics": "etikos kodeksas", "conflict of interest": "interesų konfliktas",
    "conflicts of interest": "interesų konfliktai", "social care": "socialinė globa",
    "social services": "socialinės paslaugos", "social service": "socialinė paslauga",
    "day care": "dienos socialinė globa", "long-term": "ilgalaikė", "short-term": "trumpalaikė",
    "respite": "laikino atokvėpio", "foster": "globėjas", "guardian": "globėjas rūpintojas",
    "adoptive": "įvaikintojas", "social risk": "socialinė rizika", "target group": "tikslinė grupė",
    "internal audit": "vidaus auditas", "external audit": "išorės auditas", "annual report": "metinė ataskaita",
    "progress report": "pažangos ataskaita", "self-assessment": "įsivertinimas", "self assessment": "įsivertinimas",
    "licence holder": "licencijos turėtojas", "license holder": "licencijos turėtojas",
    "working days": "darbo dienos", "working day": "darbo diena", "quality of life": "gyvenimo kokybė",
    "individual plan": "individualus planas", "term of office": "kadencija", "how often": "kaip dažnai",
    "supervisory authority": "priežiūros institucija", "public authority": "valdžios institucija",
    "cash benefit": "pagalbos pinigai", "need assessment": "poreikio nustatymas", "needs assessment": "poreikio nustatymas",
    "crisis centre": "krizių centras", "crisis center": "krizių centras", "care worker": "individualios priežiūros darbuotojas",
    "family welfare": "šeimos gerovės", "quality": "kokybė", "complaint": "skundas", "complaints": "skundai",
    "complain": "skųsti skundas", "staff": "personalas darbuotojai", "employee": "darbuotojas", "employees": "darbuotojai",
    "worker": "darbuotojas", "workers": "darbuotojai", "rights": "teisės", "right": "teisė", "ethics": "etika",
    "ethical": "etikos", "leadership": "lyderystė", "partnership": "partnerystė", "partners": "partneriai",
    "partner": "partneris", "participation": "dalyvavimas", "comprehensiveness": "kompleksiškumas",
    "comprehensive": "kompleksinės", "results": "rezultatai", "result": "rezultatas", "outcomes": "rezultatai",
    "improvement": "gerinimas tobulinimas", "improve": "gerinti tobulinti", "principle": "principas",
    "principles": "principai", "criteria": "kriterijai", "criterion": "kriterijus", "evidence": "įrodymai",
    "certificate": "sertifikatas", "certification": "sertifikavimas", "certified": "sertifikuota sertifikatas",
    "audit": "auditas", "audits": "auditai", "auditor": "auditorius", "auditors": "auditoriai",
    "mission": "misija", "vision": "vizija", "values": "vertybės", "goals": "tikslai", "goal": "tikslas",
    "objectives": "tikslai", "aim": "tikslas", "purpose": "tikslas paskirtis", "needs": "poreikiai",
    "empowerment": "įgalinimas", "violence": "smurtas", "abuse": "smurtas piktnaudžiavimas", "prevention": "prevencija",
    "preventive": "prevencinės", "general": "bendrosios", "special": "specialiosios", "specialised": "specialiosios",
    "specialized": "specialiosios", "types": "rūšys", "kinds": "rūšys", "type": "rūšis", "kind": "rūšis",
    "definition": "sąvoka", "define": "sąvoka", "assessment": "vertinimas", "assessed": "vertinama",
    "evaluated": "vertinama", "evaluation": "vertinimas", "assess": "vertinti", "evaluate": "vertinti",
    "responsible": "atsakingas", "responsibility": "atsakomybė", "decide": "sprendimas", "decides": "sprendimas",
    "decision": "sprendimas", "director": "direktorius vadovas", "head": "vadovas", "manager": "vadovas",
    "managers": "vadovai", "management": "vadovybė valdymas", "competition": "konkursas", "provider": "teikėjas",
    "providers": "teikėjai", "institution": "įstaiga", "institutions": "įstaigos", "centre": "centras",
    "center": "centras", "home": "namai", "homes": "namai", "community": "bendruomenė", "crisis": "krizių",
    "women": "moterys", "children": "vaikai", "child": "vaikas", "family": "šeima", "families": "šeimos",
    "disability": "negalia", "disabilities": "negalia", "elderly": "senyvo amžiaus", "pension": "pensija",
    "income": "pajamos", "property": "turtas", "assets": "turtas", "pay": "mokėti mokėjimas", "pays": "moka",
    "paid": "mokama", "payment": "mokėjimas", "fee": "mokėjimas", "free": "nemokamai", "charge": "mokėjimas",
    "budget": "biudžetas", "funding": "finansavimas", "funded": "finansuojamas", "financed": "finansuojamas",
    "project": "projektas", "agency": "agentūra", "training": "mokymai", "trainings": "mokymai",
    "qualification": "kvalifikacija", "qualifications": "kvalifikacija", "supervision": "supervizija",
    "hours": "valandos", "hour": "valanda", "year": "metai", "years": "metai", "annual": "metinė kasmet",
    "annually": "kasmet", "month": "mėnuo", "months": "mėnesiai", "days": "dienos", "day": "diena",
    "week": "savaitė", "valid": "galioja", "validity": "galiojimas", "municipality": "savivaldybė",
    "municipal": "savivaldybės", "mayor": "meras", "council": "taryba", "ministry": "ministerija",
    "minister": "ministras", "licence": "licencija", "license": "licencija", "licensing": "licencijavimas",
    "accreditation": "akreditavimas", "accredited": "akredituotos", "fine": "bauda", "fines": "baudos",
    "penalty": "bauda", "inspectorate": "inspekcija", "consent": "sutikimas", "volunteers": "savanoriai",
    "interns": "praktikantai", "feedback": "grįžtamasis ryšys", "survey": "apklausa", "surveys": "apklausos",
    "satisfaction": "pasitenkinimas", "indicators": "rodikliai", "report": "ataskaita", "reports": "ataskaitos",
    "transition": "perėjimas", "continuity": "tęstinumas", "referral": "nukreipimas", "confidentiality": "konfidencialumas",
    "privacy": "privatumas", "dignity": "orumas", "discrimination": "diskriminacija", "video": "vaizdo",
    "camera": "vaizdo kamera", "cameras": "vaizdo kameros", "surveillance": "stebėjimas", "monitoring": "stebėsena",
    "retention": "saugojimo", "stored": "saugomi", "kept": "saugomi", "delete": "ištrinti", "access": "susipažinti",
    "processing": "tvarkymas", "publish": "skelbti", "public": "viešai", "candidate": "kandidatas",
    "employer": "darbdavys", "hire": "priimti", "hiring": "samdymas priėmimas", "hired": "priimtas",
    "recruitment": "atranka samdymas", "induction": "įvadinis", "newcomer": "naujas darbuotojas",
    "intensive": "intensyvi", "residential": "institucinė", "institutional": "institucinė", "assistance": "pagalba",
    "help": "pagalba", "support": "pagalba", "allowance": "išmoka", "benefit": "nauda išmoka", "benefits": "nauda",
    "apply": "kreiptis paraiška", "application": "paraiška prašymas", "request": "prašymas", "refuse": "atsisakyti",
    "refusal": "atsisakymas", "suspend": "sustabdyti", "terminate": "nutraukti", "dispute": "ginčas",
    "disputes": "ginčai", "court": "teismas", "appeal": "apskųsti", "inspection": "patikrinimas",
    "supervisory": "priežiūros", "duties": "pareigos", "obligations": "pareigos", "obliged": "privalo",
    "must": "privalo turi", "allowed": "gali leidžiama", "plan": "planas", "planning": "planavimas",
    "strategy": "strategija", "review": "peržiūra", "reviewed": "peržiūrima", "innovation": "naujovės",
    "learning": "mokymasis", "risk": "rizika", "risks": "rizikos", "safety": "sauga", "health": "sveikata",
    "law": "įstatymas", "act": "įstatymas", "article": "straipsnis", "steps": "etapai eiga", "stages": "etapai",
    "process": "procesas eiga", "national": "nacionalinis", "european": "Europos", "europe": "Europos",
    "level": "lygis", "levels": "lygiai", "excellence": "Excellence", "assurance": "Assurance",
    "consultant": "konsultantas", "start": "pradžia", "end": "pabaiga", "amount": "suma", "sum": "suma",
    "organisations": "organizacijos", "organizations": "organizacijos", "organisation": "organizacija",
    "organization": "organizacija", "documents": "dokumentai", "document": "dokumentas", "procedure": "tvarka",
    "procedures": "tvarkos", "policy": "politika", "policies": "politikos", "information": "informacija",
    "inform": "informuoti", "members": "nariai", "relatives": "artimieji", "clients": "paslaugų gavėjai",
    "client": "paslaugų gavėjas", "users": "paslaugų gavėjai", "beneficiaries": "paslaugų gavėjai",
    "mandatory": "privalomas", "compulsory": "privalomas", "register": "registras", "registered": "registruojami",
    # Everyday words of staff questions in English.
    "provide": "teikti", "provides": "teikia", "provided": "teikiamos", "care": "priežiūra globa", "welfare": "gerovė",
    "coordinator": "koordinatorius", "new": "naujas", "person": "asmuo", "persons": "asmenys", "people": "asmenys",
    "standard": "standartas", "work": "darbas", "city": "miesto", "foreigners": "užsieniečiai", "citizens": "piliečiai",
    "appointed": "skiriamas", "appoints": "skiria", "refuses": "atsisako", "sign": "pasirašo", "signed": "pasirašytas",
    "written": "raštu", "financial": "finansinė", "submit": "pateikti", "submitted": "pateikiamas", "organises": "organizuoja",
    "organise": "organizuoti", "organizes": "organizuoja", "organize": "organizuoti", "investigate": "nagrinėti", "investigated": "nagrinėjamas",
    "anonymous": "anoniminis", "required": "privalo", "website": "interneto svetainė", "contact": "kontaktai", "bodies": "institucijos",
    "manage": "valdyti", "inclusion": "įtrauktis", "psychology": "psichologija", "age": "amžius", "online": "internete",
    "opinion": "nuomonė", "wishes": "pageidavimai", "plans": "planai", "deadline": "terminas", "legal": "teisės",
    "duty": "pareiga", "forbidden": "draudžiama", "social": "socialinis", "service": "paslauga", "services": "paslaugos",
    "older": "senyvo amžiaus", "adult": "suaugęs", "adults": "suaugusieji", "meals": "maitinimas", "transport": "transportas",
    "housing": "būstas", "period": "laikotarpis", "agreement": "sutartis", "contract": "sutartis", "language": "kalba",
    "protection": "apsauga", "security": "saugumas", "rules": "taisyklės",
}
_PHRASES = sorted(GLOSSARY, key=len, reverse=True)
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(p) for p in _PHRASES) + r")\b", re.IGNORECASE)


def lithuanian_terms(question: str, known=lambda term: True) -> list[str]:
    """Index terms of the Lithuanian words for the domain terms of an English question, plus the
    question's own terms (names such as EQUASS or Kaunas are spelled alike in both languages).
    Of its other words only those the documents use (``known``) or that are capitalised inside
    the sentence (a name) are kept: an English word the glossary does not translate ("provide",
    "without") cannot occur in a Lithuanian passage, and as a word no passage uses it would count
    as the question's most specific one."""
    words = [GLOSSARY[match.group(1).lower()] for match in _PATTERN.finditer(question)]
    rest = WORD.findall(_PATTERN.sub(" ", question))
    kept = [word for i, word in enumerate(rest)
            if (i > 0 and word[0].isupper()) or any(known(term) for term in analyze_query(word))]
    return analyze_query(" ".join(words)) + analyze_query(" ".join(kept))


def lithuanian_query(question: str) -> str:
    """The Lithuanian words of an English question's domain terms, for the lexical index."""
    words = [GLOSSARY[match.group(1).lower()] for match in _PATTERN.finditer(question)]
    return " ".join(words + [_PATTERN.sub(" ", question)])


ENGLISH_STOPWORDS = frozenset(stopwordsiso.stopwords("en"))
LITHUANIAN_LETTERS = re.compile(r"[ąčęėįšųūž]", re.IGNORECASE)


def untranslated_share(question: str) -> float:
    """Of an English question's content words, the share the glossary does not translate and that
    are neither a name nor a Lithuanian word: how much of the question the Lithuanian sources
    cannot even be searched for ("What is the price of a bus ticket in Kaunas?")."""
    translated = len(_PATTERN.findall(question))
    rest = WORD.findall(_PATTERN.sub(" ", question))
    content = [(i, word) for i, word in enumerate(rest) if word.lower() not in ENGLISH_STOPWORDS and not word.isdigit()]
    untranslated = sum(1 for i, word in content if not (i > 0 and word[0].isupper()) and not LITHUANIAN_LETTERS.search(word))
    total = translated + len(content)
    return untranslated / total if total else 0.0
