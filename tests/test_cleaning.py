from ingest.cleaning import clean_text
from ingest.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "corpus" / "organizations"


def test_web_boilerplate_is_dropped_and_content_kept():
    text = clean_text((SEEDS / "esfa-kokybes-projektas.txt").read_text(encoding="utf-8"))
    assert "Projekto finansavimo suma – 4 403 297,00 Eur." in text
    for boilerplate in ["Kontaktai", "@esf.lt", "+370", "Juridinio asmens kodas", "Darbo laikas",
                        "LT-09217", "Plačiau apie projektą", "Turinys atnaujintas"]:
        assert boilerplate not in text


def test_bookmarks_skip_links_and_phone_banner_are_dropped():
    pagegiai = clean_text((SEEDS / "pagegiai-equass-projektas.txt").read_text(encoding="utf-8"))
    assert "[bookmark" not in pagegiai
    assert pagegiai.startswith("Vykdomas projektas")
    klaipeda = clean_text((SEEDS / "klaipeda-equass.txt").read_text(encoding="utf-8"))
    assert "Skip to content" not in klaipeda
    assert "Paslaugų gavėjų chartija" in klaipeda  # a real list of documents stays
    vilnius = clean_text((SEEDS / "vilnius-equass-sertifikatas.txt").read_text(encoding="utf-8"))
    assert "8 700 35545" not in vilnius and "Svetainės medis" not in vilnius


def test_text_is_nfc_and_whitespace_tidy():
    decomposed = "Kokybe\u0307 vertinama   kasmet\r\n\r\n\r\n\r\nAntra pastraipa"
    assert clean_text(decomposed) == "Kokybė vertinama kasmet\n\nAntra pastraipa"


def test_footnote_markers_glued_to_words_are_dropped():
    kaunas = clean_text((SEEDS / "kaunas-kokybes-politika.txt").read_text(encoding="utf-8"))
    assert "vadovaujasi EQUASS kokybės principais: lyderystė" in kaunas
    assert "principais1" not in kaunas
    assert "1 Equass kokybės principai aprašyti" in kaunas
    # Numbers that are not footnote markers stay.
    assert clean_text("Pagal COVID19: tekstas ir 1 straipsnį.\n\n3 straipsnis. Kita") == \
        "Pagal COVID19: tekstas ir 1 straipsnį.\n\n3 straipsnis. Kita"
