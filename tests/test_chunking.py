from ingest.chunking import chunk_document, find_sections, paragraphs
from ingest.cleaning import clean_text
from ingest.readers import LawRecord, law_text
from ingest.settings import PROJECT_ROOT


KAUNAS = PROJECT_ROOT / "corpus" / "organizations" / "kaunas-kokybes-politika.txt"


def kaunas_chunks(size=900):
    text = clean_text(KAUNAS.read_text(encoding="utf-8"))
    return text, chunk_document("kaunas", text, find_sections(text), size)


def test_chunks_cover_the_text():
    text, chunks = kaunas_chunks()
    assert "vertinama vieną kartą per metus" in "".join(text[c.char_start:c.char_end] for c in chunks)
    assert all(0 <= a.char_start < a.char_end <= b.char_start for a, b in zip(chunks, chunks[1:]))


def test_headings_stay_with_their_text_and_name_the_section():
    text, chunks = kaunas_chunks()

    def body(chunk):
        return text[chunk.char_start:chunk.char_end]

    principles = [c for c in chunks if body(c).startswith("III. PRINCIPAI IR VERTYBĖS")]
    assert principles and principles[0].section == "III. PRINCIPAI IR VERTYBĖS"
    assert "1. Centro darbuotojai" in body(principles[0])
    yearly = next(c for c in chunks if "vieną kartą per metus" in body(c))
    assert yearly.section == "IV. KOKYBĖS VERTINIMAS IR ATSAKOMYBĖS"


def test_numbered_items_are_never_cut():
    text, chunks = kaunas_chunks(size=300)
    items = [p for p in paragraphs(text) if p.text[:3].rstrip(".) ").isdigit() and len(p.text) <= 450]
    assert len(items) > 20
    for item in items:
        assert any(c.char_start <= item.start and item.end <= c.char_end for c in chunks), item.text


def test_lead_in_stays_with_its_list():
    text, chunks = kaunas_chunks(size=300)
    lead = next(text[c.char_start:c.char_end] for c in chunks
                if "Kokybės politika apima šiuos tikslus:" in text[c.char_start:c.char_end])
    assert "1. didinti Centro veiklos efektyvumą;" in lead


def test_law_articles_are_sections():
    law = LawRecord.model_validate_json((PROJECT_ROOT / "corpus" / "laws" / "lt-law-x-493.json").read_bytes())
    text = clean_text(law_text(law))
    chunks = chunk_document("law", text, find_sections(text), 900)
    assert any(c.section.startswith("4 straipsnis. Socialinių paslaugų valdymo") for c in chunks)
    assert all(c.char_end - c.char_start <= 900 * 2 for c in chunks)
