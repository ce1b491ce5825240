"""Each step of the answer on its own: question types, follow-ups, quote candidates, selection, refusal."""

import pytest

from ingest.analyzer import analyze_query
from ingest.index_store import load_index
from ingest.quote_units import MAX_BLOCK_CHARS, whole_list
from ingest.records import Document, Hit, Section
from service.answering import UNTRANSLATED_LIMIT, Answer, check_question
from service.candidates import CandidateBuilder, definition_term
from service.conversations import Turn
from service.features import holds_quantity, holds_unit
from service.followups import MAX_QUERY_CHARS, resolve
from service.glossary import lithuanian_terms, untranslated_share
from service.language import is_english
from service.question import profile
from service.quote_selection import MAX_LIST_QUOTE_CHARS, answer_pool, choose, spans
from service.refusal import contact_unquoted, names_as_principle, should_refuse, unknown_names, years_unquoted
from service.schemas import Quote
from service.spoken import full_infinitives


@pytest.mark.parametrize("question, kind", [
    ("Kas yra socialinė globa?", "definition"),
    ("kas yra socialine globa", "definition"),
    ("What is social care?", "definition"),
    ("Kokios yra socialinių paslaugų rūšys?", "list"),
    ("Per kiek dienų turi būti išnagrinėtas skundas?", "deadline"),
    ("kiek laiko galioja equass sertifikatas", "deadline"),
    ("Kas atsakingas už kokybės politikos įgyvendinimą?", "responsible"),
    ("kas moka uz socialines paslaugas", "responsible"),
    ("Ar darbuotojas privalo pranešti apie pažeidimą?", "may_must"),
    ("Kiek organizacijų dalyvaus projekte?", "amount"),
    ("Iki kurios datos teikiama metinė ataskaita?", "deadline"),
])
def test_question_types(question, kind):
    assert profile(question).asks(kind)


def test_own_organisation_cue_and_english():
    assert profile("kaip mūsų centre vertinama kokybė").own_organization
    assert profile("how is quality assessed in our centre?").own_organization
    assert profile("how is quality assessed in our centre?").english
    assert not profile("Kaip vertinama kokybė?").own_organization


def test_follow_up_query_stays_bounded_in_a_long_conversation():
    history: list[Turn] = []
    question = "o kas už tai atsakingas ir kokie terminai taikomi šiuo atveju?"
    for _ in range(120):
        resolved = resolve(question, history, None, [])
        history.append(Turn(question=question, query=resolved.query))
    assert resolved.follow_up
    assert len(resolved.query) <= MAX_QUERY_CHARS


def test_follow_up_keeps_organisation_and_documents():
    earlier = Turn(question="Kokia mūsų centro vizija?", query="Kokia mūsų centro vizija?",
                   organization="Kauno rajono socialinių paslaugų centras", document_ids=["kaunas-kokybes-politika"])
    resolved = resolve("O misija?", [earlier], None, ["Kauno rajono socialinių paslaugų centras"])
    assert resolved.follow_up and resolved.organization == "Kauno rajono socialinių paslaugų centras"
    assert resolved.focus_documents == ["kaunas-kokybes-politika"]
    assert "vizija" in resolved.query and resolved.query.startswith("O misija?")
    # The answer check reads the conversation in the order it went.
    assert check_question(resolved) == "Kokia mūsų centro vizija? O misija?"
    assert check_question(resolve("Kokia mūsų centro vizija?", [], None, [])) == "Kokia mūsų centro vizija?"


def test_after_a_refusal_the_nearest_passage_is_in_focus():
    def quote(document_id):
        return Quote(text="t", document_id=document_id, title="", organization="", section="", url="", char_start=0,
                     char_end=1, score=0.0)
    asked = resolve("Kada vyksta pasitarimai?", [], None, [])
    refused = Answer("", True, [], nearest=[quote("a"), quote("b")], resolved=asked)
    answered = Answer("", False, [quote("c"), quote("d")], nearest=[], resolved=asked)
    assert refused.turn().document_ids == ["a"] and refused.turn().abstained
    assert answered.turn().document_ids == ["c", "d"]
    follow_up = resolve("O kas juos veda?", [refused.turn()], None, [])
    assert follow_up.follow_up and follow_up.focus_documents == ["a"]


def test_a_new_topic_is_not_a_follow_up():
    earlier = Turn(question="Kokia mūsų centro vizija?", query="Kokia mūsų centro vizija?")
    assert not resolve("Kas yra socialinė globa?", [earlier], None, []).follow_up


def test_the_organisation_a_request_chose_is_the_scope_whatever_the_question_names():
    kaunas, vilnius = "Kauno rajono socialinių paslaugų centras", "Vilniaus miesto socialinės paramos centras"
    organizations = [kaunas, vilnius]
    assert resolve("Kokia Kauno centro misija?", [], None, organizations).organization == kaunas
    assert resolve("Kokia Kauno centro misija?", [], vilnius, organizations).organization == vilnius
    earlier = Turn(question="Kokia centro misija?", query="Kokia centro misija?", organization=kaunas,
                   document_ids=["kaunas-kokybes-politika"])
    kept = resolve("O vizija?", [earlier], kaunas, organizations)
    assert kept.organization == kaunas and kept.focus_documents == ["kaunas-kokybes-politika"]
    moved = resolve("O vizija?", [earlier], vilnius, organizations)
    assert moved.organization == vilnius and moved.focus_documents == []


@pytest.mark.parametrize("text, term", [
    ("15. Socialinė globa – asmeniui teikiama nuolatinė specialistų pagalba.", "Socialinė globa"),
    ("EQUASS (angl. European Quality in Social Services) – Europos socialinių paslaugų kokybės sistema.", "EQUASS"),
    ("5. Turto normatyvas asmeniui yra 50 kvadratinių metrų naudingojo būsto ploto.", "Turto normatyvas asmeniui"),
    ("Socialinės paslaugos yra:", None),
])
def test_definition_terms(text, term):
    assert definition_term(text) == term


@pytest.fixture(scope="module")
def builder(corpus_index):
    return CandidateBuilder(load_index(corpus_index))


def candidates_of(builder, document_id: str, containing: str):
    index = builder.index
    text = index.documents[document_id].text
    position = text.index(containing)
    chunk = next(c for c in index.chunks_of(document_id) if c.char_start <= position < c.char_end)
    return [(c, text[c.start:c.end]) for c in builder.for_hits([Hit(chunk, 1.0, 0.9, 1.0)])]


def test_a_list_is_a_candidate_with_its_lead_in(builder):
    found = candidates_of(builder, "lt-law-x-493", "Gauti socialines paslaugas turi teisę:")
    lists = [text for c, text in found if c.form == "list" and text.startswith("Gauti socialines paslaugas turi teisę:")]
    assert lists and "1) Lietuvos Respublikos piliečiai;" in lists[0] and "3) kiti asmenys" in lists[0]
    assert not any(text.strip() == "Gauti socialines paslaugas turi teisę:" for _, text in found)


def test_a_long_list_is_quoted_to_its_last_item(builder):
    lead_in = "Globos centras atlieka šias funkcijas, susijusias su vaikų globa (rūpyba):"
    unit = next(c for c, text in candidates_of(builder, "lt-law-x-493", lead_in)
                if c.form == "list" and text.startswith(lead_in))
    documents = builder.index.documents
    text = documents["lt-law-x-493"].text
    assert "6) teikia kitas" not in text[unit.start:unit.end]  # the unit itself stops at MAX_BLOCK_CHARS
    [(_, start, end)] = spans([unit], documents)
    assert start == unit.start and end - start > MAX_BLOCK_CHARS
    assert text[start:end].endswith("6) teikia kitas teisės aktuose numatytas paslaugas, susijusias su vaikų globa (rūpyba).")


def test_an_item_is_quoted_with_its_whole_list_when_the_question_asks_for_a_list(builder):
    lead_in = "Globos centras atlieka šias funkcijas, susijusias su vaikų globa (rūpyba):"
    found = candidates_of(builder, "lt-law-x-493", "4) organizuoja ir pagal globos centro nustatytą poreikį")
    items = [c for c, text in found if c.form == "item" and text.startswith(("4) organizuoja", "5) organizuoja"))]
    assert len(items) == 2
    documents = builder.index.documents
    text = documents["lt-law-x-493"].text
    [(_, start, end)] = spans(items[:1], documents)
    assert text[start:end].startswith("4) organizuoja")  # a fact question gets the item
    [(_, start, end)] = spans(items, documents, whole_lists=True)  # both items: one quote of the list
    assert text[start:end].startswith(lead_in) and text[start:end].endswith("susijusias su vaikų globa (rūpyba).")


def test_a_whole_list_stops_at_the_limit_after_a_whole_item_and_before_a_heading():
    items = "\n\n".join(f"{n}) punktas numeris {n}, kuriame yra keletas žodžių apie paslaugas ir jų teikimą." for n in range(1, 41))
    text = f"Paslaugos yra šios:\n\n{items}\n\nKitas skirsnis\n\n1) kito sąrašo punktas."
    heading = text.index("Kitas skirsnis")
    document = Document("d", "D", "", text, "d.txt", sections=[Section("Kitas skirsnis", 2, heading, len(text))])
    end = whole_list(document, 0, 80, MAX_LIST_QUOTE_CHARS)
    next_item_end = text.index("\n\n", end + 2)
    assert MAX_BLOCK_CHARS < end <= MAX_LIST_QUOTE_CHARS < next_item_end  # as many whole items as fit
    assert text[end - 1] == "." and text[end:end + 2] == "\n\n"
    short = text[:text.index("4) punktas")].rstrip()
    document = Document("d", "D", "", short + "\n\nKitas skirsnis\n\n1) kito sąrašo punktas.", "d.txt",
                        sections=[Section("Kitas skirsnis", 2, len(short) + 2, len(short) + 16)])
    assert whole_list(document, 0, 80, MAX_LIST_QUOTE_CHARS) == len(short)


def test_a_list_written_line_by_line_is_quoted_on_to_its_last_line_that_fits():
    lines = "\n".join(f"{n}. Dokumentas numeris {n} apie paslaugų teikimo tvarką ir kokybę" for n in range(1, 61))
    text = f"{lines}\n\nKita pastraipa."
    document = Document("d", "D", "", text, "d.txt")
    end = whole_list(document, 0, 100, MAX_LIST_QUOTE_CHARS)
    assert MAX_BLOCK_CHARS < end <= MAX_LIST_QUOTE_CHARS < text.index("\n", end + 1)
    assert text[end] == "\n" and text.rfind("\n", 0, end) < end - 60  # a whole line, not a piece


def test_headings_and_table_header_rows_are_never_candidates_alone(builder):
    for document_id, heading in (("vilnius-equass-sertifikatas", "Nauda EQUASS?"),
                                 ("lt-law-x-493", "5 straipsnis. Teisė į socialines paslaugas"),
                                 ("equass-assurance", "| Aspektas | EQUASS Assurance | EQUASS Excellence |")):
        found = candidates_of(builder, document_id, heading)
        assert found
        assert not any(text.strip() in (heading, "Kas yra EQUASS?\n\nNauda EQUASS?") for _, text in found)
    tables = [text for c, text in candidates_of(builder, "equass-assurance", "| Aspektas |") if c.form == "table"]
    assert tables and tables[0].startswith("| Aspektas |") and "| Galiojimas | 3 metai | 3 metai |" in tables[0]


def test_a_definition_is_found_by_its_term_with_or_without_diacritics(builder):
    from ingest.analyzer import token_keys

    for question in ("socialinė globa", "socialine globa"):
        texts = [builder.text(row) for row in builder.defined_in(token_keys(question))]
        assert any(t.startswith("15. Socialinė globa – ") for t in texts)


class Fake:
    """A candidate stand-in: only what selection reads."""

    def __init__(self, document_id, start, end, probability):
        self.document_id, self.start, self.end, self.probability = document_id, start, end, probability


def test_own_documents_answer_first_when_they_hold_an_answer():
    ranked = [Fake("law", 0, 10, 0.9), Fake("own", 0, 10, 0.5), Fake("own", 20, 30, 0.1)]
    assert [c.document_id for c in answer_pool(ranked, frozenset({"own"}), 0.3)] == ["own", "own"]
    assert answer_pool(ranked, frozenset({"own"}), 0.6) == ranked
    assert answer_pool(ranked, frozenset(), 0.3) == ranked


@pytest.mark.parametrize("text, holds", [
    ("Skundas išnagrinėjamas per 15 darbo dienų.", True),
    ("Sertifikatas galioja trejus metus.", True),
    ("Ataskaita teikiama kasmet.", True),
    ("Reguliariai vyksta darbuotojų veiklos vertinimo pokalbiai.", True),
    ("Pasitarimai vyksta kiekvieną antradienį ryte.", True),
    ("Sertifikatas suteiktas 2019-05-09.", True),
    # List numbering and references to other provisions answer no "kiek?".
    ("1. Organizacija turi patvirtintą etikos kodeksą.\n2. Darbuotojai supažindinami su juo.", False),
    ("Paslaugos teikiamos pagal šio straipsnio 2 dalies 3 punktą.", False),
    ("pagal Reglamento (ES) 2016/679 6 straipsnį", False),
    ("1) prevencinės; 2) bendrosios; 3) specialiosios", False),
])
def test_a_quantity_is_a_number_date_or_period_not_numbering(text, holds):
    assert holds_quantity(text) is holds


@pytest.mark.parametrize("question, unit", [
    ("Per kiek dienų turi būti išnagrinėtas skundas?", "dien"),
    ("kiek nariu turi buti etikos komisijoje", "nari"),
    ("Kas kiek metų reikia persirašyti sutartis?", "met"),
    ("Kokia metodika taikoma?", None),
    ("Iki kurios datos teikiama metinė ataskaita?", "dat"),
    ("How many days does the inspectorate have to answer?", "dien"),
    ("Kiek kainuoja EQUASS sertifikavimas?", None),
    ("Kas yra socialinė globa?", None),
    # A count of a thing no unit above names: the stem of the last genitive plural after "kiek".
    ("Kiek vietų turi krizių centras?", "#viet"),
    ("Kiek paslaugų gavėjų mūsų centras aptarnauja?", "#gavej"),
    ("kiek vaiku vienu metu gali priziureti budintis globotojas", "#vaik"),
    ("Kiek pinigų jam turi likti?", None),
    ("Kiek organizacijų Europos socialinio fondo agentūra planuoja įtraukti?", "#organizacij"),
    ("Per kiek laiko inspekcija turi atsakyti?", "laik"),
    ("How long is the certificate valid?", "laik"),
    ("Kiek daugiau reikės mokėti?", None),
])
def test_the_unit_a_count_question_asks_in(question, unit):
    assert profile(question).unit == unit


@pytest.mark.parametrize("text, unit, holds", [
    ("Skundas išnagrinėjamas per 15 darbo dienų.", "dien", True),
    ("Skundas turi būti išnagrinėtas per 4 mėnesius nuo jo gavimo.", "dien", False),
    ("Sertifikatas galioja trejus metus.", "met", True),
    ("Ne rečiau kaip vieną kartą per šešis mėnesius.", "kart", True),
    ("Etikos komisiją sudaro 5 nariai.", "nari", True),
    ("Etikos komisija svarsto darbuotojų elgesio klausimus.", "nari", False),
    ("Planai parengti 2019 m. kovo mėnesį.", "dat", True),
    ("Budintis globotojas negali prižiūrėti daugiau kaip 3 likusių be tėvų globos vaikų.", "#vaik", True),
    ("Planuojama, jog 303 organizacijos dalyvaus projekte.", "#organizacij", True),
    ("Krizių centre nuo 2020 12 01 teikiama intensyvi pagalba moterims.", "#viet", False),
    ("Vadovai priimami konkurso būdu penkerių metų kadencijai.", "laik", True),
    ("Skundas išnagrinėjamas per 4 mėnesius.", "laik", True),
    ("Etikos komisija reguliariai nagrinėja skundus.", "laik", False),
])
def test_a_count_in_the_unit_asked(text, unit, holds):
    assert holds_unit(text, unit) is holds


def test_further_quotes_must_be_close_and_new():
    best, inside, other, weak = Fake("a", 0, 100, 0.9), Fake("a", 10, 50, 0.85), Fake("b", 0, 10, 0.8), Fake("c", 0, 9, 0.2)
    assert choose([best, inside, other, weak], 0.7) == [best, other]


def test_refusal_rules():
    assert should_refuse(None, 0.5, 0)
    assert should_refuse(0.4, 0.5, 0)
    assert not should_refuse(0.6, 0.5, 0)
    assert should_refuse(0.9, 0.5, 1)
    assert should_refuse(0.9, 0.5, 0, detail_unquoted=True)


def test_a_year_the_quotes_never_mention_is_not_answered():
    pay = "Socialinio darbuotojo pareiginės algos koeficientas nustatomas pagal kvalifikaciją."
    assert years_unquoted("Koks socialinio darbuotojo minimalus atlyginimas 2025 metais?", [pay])
    assert years_unquoted("what was the centre's self-assessment in 2018?", [pay, "Patvirtinta 2019 m."])
    assert not years_unquoted("kokia paslauga nuo 2020 m. gruodžio pakeitė krizių centrą?", ["Nuo 2020 m. gruodžio …"])
    assert not years_unquoted("Kiek dienų galioja sertifikatas?", [pay])
    assert not years_unquoted("Ką reiškia 12345 punktas?", [pay])  # no year, a number


def test_a_phone_number_or_address_no_quote_gives_is_not_answered():
    about = "Centras teikia psichosocialinę pagalbą nuo smurto nukentėjusioms moterims."
    assert contact_unquoted("Koks centro Pagalbos moterims padalinio telefono numeris?", [about])
    assert contact_unquoted("koks jusu el. pasto adresas", [about])
    assert contact_unquoted("Who is the quality coordinator and how can I contact them?", [about])
    assert not contact_unquoted("Koks centro telefono numeris?", ["Tel. (8 37) 12 34 56, el. p. info@centras.lt"])
    assert not contact_unquoted("Ar skundą galima pateikti el. paštu?", ["Skundą galima pateikti el. paštu."])
    frequencies = {"kaun": 3, "centr": 9}
    assert unknown_names("Kas yra Šiaulių centro direktorius?", frequencies, lambda w: [w.lower()[:5]]) == 1
    assert unknown_names("Kokia Kauno centro vizija?", frequencies, lambda w: [w.lower()[:4]]) == 0
    # A sentence's first word and a stopword are no names: a situation told before the question.
    analyze = lambda w: [] if w.lower() in ("ar", "kaip") else [w.lower()[:5]]  # noqa: E731
    assert unknown_names("Šeima gyvena iš pašalpos. Ar jai reikės mokėti?", frequencies, analyze) == 0
    assert unknown_names("Šeima gyvena iš pašalpos: Kaip Šiaulių centras?", frequencies, analyze) == 1
    assert unknown_names("ar tai svarbu? ir ar Kaip sako", frequencies, analyze) == 0
    # A country is part of the situation, in any case of its name.
    assert unknown_names("atėjo klientė iš Ukrainos, kaip paaiškinti", frequencies, analyze_query) == 0
    assert unknown_names("o jei diplomą gavo Vokietijoje?", frequencies, analyze_query) == 0
    assert unknown_names("ar Šiaulių centras turi sertifikatą?", frequencies, analyze_query) == 1


def test_a_principle_is_named_as_such_by_its_word_or_its_own_name():
    from ingest.principles import PRINCIPLES
    by_id = {p.id: p for p in PRINCIPLES}
    assert names_as_principle("Kokias tvarkas turėtume turėti pagal EQUASS etikos principą?", by_id["ethics"])
    assert names_as_principle("Kodėl reikalinga partnerystė?", by_id["partnership"])
    assert names_as_principle("Which policies do we need for the participation principle?", by_id["participation"])
    # A name of more than one word is the principle's own, in whatever form the question uses it.
    assert names_as_principle("What does person-centred approach mean in EQUASS?", by_id["person_centred"])
    assert not names_as_principle("What results did the centre report?", by_id["result_orientation"])
    assert not names_as_principle("Kiek narių turi būti etikos komisijoje pagal EQUASS?", by_id["ethics"])
    assert not names_as_principle("Kas kiek metų persirašyti sutartis su partneriais?", by_id["partnership"])
    assert not names_as_principle("o ką svarbiausia žinoti apie kliento teises?", by_id["rights"])


@pytest.mark.parametrize("question, english", [
    ("Since when has the Pagėgiai family welfare centre taken part in the EQUASS project?", True),
    ("What exactly does \"socialinė priežiūra\" mean in the Law on Social Services?", True),
    ("How many children can live in a family-type home (šeiminiai namai)?", True),
    ("Is it free?", True),
    ("Kas yra socialinė globa?", False),
    ("kas is tikro yra globa", False),
    ("Kas yra EQUASS?", False),
])
def test_english_questions_are_known_also_when_they_name_a_lithuanian_place(question, english):
    assert is_english(question) is english


def test_spoken_infinitives_are_written_out_only_when_the_documents_use_the_full_form():
    frequency = {"pranes": 5, "pranest": 1, "dalyv": 4, "desimt": 3}
    assert full_infinitives("ar turim pranešt?", frequency) == "ar turim pranešti?"
    assert full_infinitives("ar reikia dalyvaut", frequency) == "ar reikia dalyvauti"
    assert full_infinitives("dešimt dienų", frequency) == "dešimt dienų"  # "dešimti" is no better known
    assert full_infinitives("client", frequency) == "client"


def test_english_words_the_glossary_does_not_translate_are_dropped_unless_names():
    question = "Since when has the Pagėgiai family welfare centre taken part in the EQUASS project?"
    terms = lithuanian_terms(question, known=lambda term: False)
    assert "projekt" in terms and "pageg" in terms and "equas" in terms  # translated, and names
    assert "taken" not in terms and "part" not in terms
    assert "taken" in lithuanian_terms(question)


def test_an_english_question_mostly_of_words_the_glossary_cannot_translate_is_flagged():
    assert untranslated_share("What is the price of a bus ticket in Kaunas?") >= UNTRANSLATED_LIMIT
    assert untranslated_share("How many days does a client have to submit a complaint?") == 0.0
    # Names ("Pagėgiai", "EQUASS") are neither translated nor untranslated words.
    assert untranslated_share("Since when has the Pagėgiai family welfare centre taken part in the EQUASS project?") < 0.5


def test_a_named_principle_answers_what_it_asks_not_an_amount_or_a_period():
    from types import SimpleNamespace

    import numpy as np
    from ingest.principles import TAG_THRESHOLD
    from service.features import FEATURES
    from service.refusal import on_named_principle
    best = SimpleNamespace(features=np.zeros(len(FEATURES)), document_id="equass-staff",
                           chunk=SimpleNamespace(principles={"staff": TAG_THRESHOLD}))
    documents = {"equass-staff": SimpleNamespace(kind="equass")}
    assert on_named_principle("staff", best, documents)  # "Ką reiškia personalo principas?"
    # "Kaip dažnai pagal personalo principą turi vykti intervizijos?"
    assert not on_named_principle("staff", best, documents, asks_quantity=True)
    # A count of the principles is the one amount the text naming all ten gives ("dešimčia kokybės principų").
    from service.refusal import ALL_PRINCIPLES

    text = ("EQUASS Assurance grindžiamas dešimčia kokybės principų: lyderystė, personalas, teisės, etika, partnerystė, "
            "dalyvavimas, orientacija į asmenį, kompleksiškumas, orientacija į rezultatus ir nuolatinis gerinimas.")
    overview = SimpleNamespace(features=np.zeros(len(FEATURES)), document_id="equass-assurance", start=0, end=len(text))
    documents["equass-assurance"] = SimpleNamespace(kind="equass", text=text)
    assert on_named_principle(ALL_PRINCIPLES, overview, documents, asks_quantity=True, unit="princip")
    assert not on_named_principle(ALL_PRINCIPLES, overview, documents, asks_quantity=True, unit="kart")
    assert not on_named_principle(ALL_PRINCIPLES, overview, documents, asks_quantity=True)


def test_the_material_on_a_named_principle_goes_before_the_overview_that_names_all_ten():
    from types import SimpleNamespace

    from ingest.principles import TAG_THRESHOLD
    from service.refusal import principle_material_first

    def candidate(document_id, principles):
        return SimpleNamespace(document_id=document_id, chunk=SimpleNamespace(principles=principles))

    documents = {"equass-assurance": SimpleNamespace(kind="equass"), "equass-leadership": SimpleNamespace(kind="equass"),
                 "lt-law": SimpleNamespace(kind="law")}
    overview = candidate("equass-assurance", {"leadership": TAG_THRESHOLD / 2})
    leadership = candidate("equass-leadership", {"leadership": TAG_THRESHOLD})
    law = candidate("lt-law", {})
    # "Kokius dokumentus turėtume turėti pagal EQUASS lyderystės principą?"
    assert principle_material_first([overview, law, leadership], "leadership", documents) == [leadership, overview, law]
    # No principle named, or a law ranked first: the ranking stays.
    assert principle_material_first([overview, leadership], None, documents) == [overview, leadership]
    assert principle_material_first([law, overview, leadership], "leadership", documents) == [law, overview, leadership]
    # Only the first few are looked at.
    assert principle_material_first([overview, law, law, leadership], "leadership", documents)[0] is overview


def test_a_question_about_the_equass_principles_together_is_answered_by_the_list_of_all_ten():
    from types import SimpleNamespace

    from ingest.principles import names_all_principles
    from service.refusal import ALL_PRINCIPLES, about_all_principles, is_principle_material

    for question in ("Kokie yra EQUASS principai?", "isvardink visus equass principus", "What are the EQUASS principles?"):
        assert about_all_principles(question)
    # The law's principles of social work are not EQUASS's; a question naming one principle, or
    # two, is about those.
    assert not about_all_principles("Kokiais principais vadovaujasi socialinis darbuotojas?")
    assert not about_all_principles("Ką reiškia EQUASS etikos principas?")
    assert not about_all_principles("Kaip pagal EQUASS orientacijos į asmenį principą parenkami darbuotojų metodai?")
    overview = ("EQUASS Assurance grindžiamas dešimčia kokybės principų: lyderystė, personalas, teisės, etika, "
                "partnerystė, dalyvavimas, orientacija į asmenį, kompleksiškumas, orientacija į rezultatus ir "
                "nuolatinis gerinimas.")
    assert names_all_principles(overview)
    assert not names_all_principles("Lyderystė ir personalas yra du iš principų.")
    documents = {"equass-assurance": SimpleNamespace(kind="equass", text=overview),
                 "policy": SimpleNamespace(kind="organization", text=overview)}
    assert is_principle_material(SimpleNamespace(document_id="equass-assurance", start=0, end=len(overview)),
                                 ALL_PRINCIPLES, documents)
    assert not is_principle_material(SimpleNamespace(document_id="policy", start=0, end=len(overview)),
                                     ALL_PRINCIPLES, documents)


def test_a_count_in_words_is_a_count():
    from service.features import holds_quantity, holds_unit
    assert holds_unit("EQUASS Assurance grindžiamas dešimčia kokybės principų", "princip")
    assert holds_unit("Skundas išnagrinėjamas per dvidešimt dienų.", "dien")
    assert holds_quantity("Pagrindą sudaro dešimties principų rinkinys.")


def test_our_organisation_is_not_answered_for_from_another_organisations_document():
    from service.refusal import quotes_another_organization

    # "Kokia mūsų centro misija?" with none chosen, four centres indexed, the Kaunas policy first.
    assert quotes_another_organization(True, None, 4, first_quote_shared=False)
    assert not quotes_another_organization(True, "Kauno rajono socialinių paslaugų centras", 4, False)  # chosen
    assert not quotes_another_organization(True, None, 4, first_quote_shared=True)  # the law answers anyone
    assert not quotes_another_organization(True, None, 1, False)  # one organisation's install: "ours" is it
    assert not quotes_another_organization(False, None, 4, False)  # not about the asker's organisation
