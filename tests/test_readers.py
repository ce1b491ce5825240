import pytest

from ingest.documents import read_documents
from ingest.readers import ReadError, ReadLimits, decode_text
from tests.documents_factory import make_docx, make_encrypted_pdf, make_pdf

LIMIT = ReadLimits(max_file_bytes=10_000_000, max_unpacked_bytes=50_000_000)


def test_pdf_text_is_extracted_with_diacritics(tmp_path):
    path = make_pdf(tmp_path / "skundai.pdf", ["SKUNDŲ NAGRINĖJIMO TVARKA",
                                              "1. Skundas išnagrinėjamas per 20 darbo dienų nuo jo gavimo."])
    [document] = read_documents(path, LIMIT, "Testo centras").documents
    assert "Skundas išnagrinėjamas per 20 darbo dienų" in document.text
    assert document.document_id == "skundai" and document.organization == "Testo centras"


def test_docx_headings_become_sections(tmp_path):
    path = make_docx(tmp_path / "Etikos kodeksas.docx", "Etikos kodeksas", "Bendrosios nuostatos",
                     ["Darbuotojai gerbia paslaugų gavėjų orumą.", "Interesų konfliktas deklaruojamas raštu."])
    [document] = read_documents(path, LIMIT).documents
    assert document.title == "Etikos kodeksas" and document.document_id == "etikos-kodeksas"
    assert [s.title for s in document.sections] == ["Bendrosios nuostatos"]
    assert "Interesų konfliktas deklaruojamas raštu." in document.text


def test_html_drops_scripts_navigation_and_keeps_headings(tmp_path):
    path = tmp_path / "chartija.html"
    path.write_text(
        "<html><head><title>Chartija</title><script>alert(1)</script></head><body>"
        "<nav><a href='/'>Pradžia</a></nav><a href='#c'>Skip to content</a>"
        "<h1>Paslaugų gavėjų chartija</h1><h2>Teisės</h2><p>Paslaugų gavėjas turi teisę būti išklausytas.</p>"
        "<footer>El. paštas: info@centras.lt</footer></body></html>", encoding="utf-8")
    [document] = read_documents(path, LIMIT).documents
    assert document.title == "Paslaugų gavėjų chartija"
    assert "alert" not in document.text and "Pradžia" not in document.text and "info@" not in document.text
    assert "Paslaugų gavėjas turi teisę būti išklausytas." in document.text
    assert any(s.title == "Teisės" for s in document.sections)


def test_law_json_keeps_its_id_title_and_articles():
    from ingest.settings import PROJECT_ROOT

    [law] = read_documents(PROJECT_ROOT / "corpus" / "laws" / "lt-law-x-493.json", LIMIT).documents
    assert law.document_id == "lt-law-x-493" and law.kind == "law" and law.shared
    assert law.title == "Lietuvos Respublikos socialinių paslaugų įstatymas"
    assert law.source.startswith("https://e-tar.lt/")
    assert any(s.title.startswith("20 straipsnis.") for s in law.sections)


@pytest.mark.parametrize("name, content, reason", [
    ("tuscias.txt", b"", "empty"),
    ("sugadintas.pdf", b"%PDF-1.4 this is not really a pdf", "damaged"),
    ("sugadintas.docx", b"PK\x03\x04 not a zip", "damaged"),
    ("tarpai.txt", b"   \n\n  \n", "no text"),
    ("lentele.xlsx", b"data", "unsupported"),
])
def test_bad_files_say_why(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError, match=reason):
        read_documents(path, LIMIT)


def test_encrypted_and_oversized_files_are_refused(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["Tekstas."])
    with pytest.raises(ReadError, match="encrypted"):
        read_documents(make_encrypted_pdf(tmp_path / "locked.pdf", plain), LIMIT)
    with pytest.raises(ReadError, match="over the limit"):
        read_documents(plain, ReadLimits(max_file_bytes=10, max_unpacked_bytes=10))


def test_markdown_reads_as_prose(tmp_path):
    path = tmp_path / "tvarka.md"
    path.write_text("# Skundų tvarka\n\n1. **Pateikimas.** Skundas pateikiamas raštu.\n\n"
                    "| Etapas | Terminas |\n|---|---|\n| Atsakymas | 10 d. d. |\n", encoding="utf-8")
    document = read_documents(path, LIMIT).documents[0]
    assert document.title == "Skundų tvarka"
    assert "1. Pateikimas. Skundas pateikiamas raštu." in document.text
    assert "**" not in document.text and "|---|" not in document.text
    assert "| Atsakymas | 10 d. d. |" in document.text


@pytest.mark.parametrize("text, encoding", [
    ("Paslaugų gavėjų skundai nagrinėjami per dešimt darbo dienų; šeima, žmogus, ąžuolas.", "cp1257"),
    ("Skundas išnagrinėjamas per mėnesį.", "cp1257"),
    ("La procédure de réclamation est gérée à l'accueil; le bénéficiaire reçoit une réponse.", "latin-1"),
    ("Die Qualitätspolitik prüft Beschwerden; Größe, Übung, Straße.", "latin-1"),
    ("El niño recibió una respuesta rápida: «sí», dijo él.", "cp1252"),
    ("Paslaugų gavėjų skundai nagrinėjami per dešimt darbo dienų.", "utf-16-le"),
    ("Paslaugų gavėjų skundai nagrinėjami per dešimt darbo dienų.", "utf-16-be"),
    ("Paslaugų gavėjų skundai nagrinėjami per dešimt darbo dienų.", "utf-16"),
])
def test_text_encodings_are_recognised(text, encoding):
    assert decode_text(text.encode(encoding)) == text


@pytest.mark.parametrize("data, reason", [
    (bytes(range(256)) * 4, "NUL bytes"),
    ("Skundas".encode() + b"\x81\x82" + "išnagrinėjamas per mėnesį, žmogus".encode(), "UTF-8 with invalid bytes"),
    (b"\x1b\x07\x08\x0e" * 50 + b"tekstas", "binary"),
])
def test_binary_and_broken_text_is_refused(data, reason):
    with pytest.raises(ReadError, match=reason):
        decode_text(data)
