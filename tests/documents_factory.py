"""Real files of every supported format, made on the fly for tests."""

from pathlib import Path

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def make_pdf(path: Path, paragraphs: list[str]) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(6)
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, source: Path) -> Path:
    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt("slaptas")
    with open(path, "wb") as out:
        writer.write(out)
    return path


def make_docx(path: Path, title: str, heading: str, paragraphs: list[str]) -> Path:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path
