"""The words around the quotes: each quote under the name of its source, or a plain refusal.

No generative model writes anything: the answer names its sources and quotes them verbatim.
Titles stay in the nominative ("Dokumente „…“ rašoma"), so no Lithuanian declension is needed.
"""

from service.schemas import DocumentSummary, Quote


def source_details(quote: Quote) -> str:
    """Organisation (unless the title already names it) and section, for the source line."""
    organization = quote.organization
    if organization and organization.split()[0] in quote.title:
        organization = ""
    details = "; ".join(part for part in (organization, quote.section) if part and part != quote.title)
    return f" ({details})" if details else ""


def compose(quotes: list[Quote], english: bool) -> str:
    """The answer text: each quote under the name of its source."""
    if english:
        return "\n\n".join(f"The document “{q.title}”{source_details(q)} says: “{q.text}”" for q in quotes)
    return "\n\n".join(f"Dokumente „{q.title}“{source_details(q)} rašoma: „{q.text}“" for q in quotes)


def abstention_text(suggestions: list[DocumentSummary], english: bool, nearest: bool = False,
                    choose_organization: bool = False) -> str:
    """A plain refusal; with nearest passages it says they are places to read, not an answer. With
    ``choose_organization`` it says why: the question is about the asker's own organisation, none
    is chosen, and what was found is one organisation's own text."""
    titles = "; ".join(s.title for s in suggestions)
    if choose_organization:
        if english:
            return ("You asked about your own organisation, but none is chosen, and what I found is one "
                    "organisation's own document. Choose your organisation and ask again; the nearest passages are below.")
        return ("Klausiate apie savo organizaciją, bet ji nepasirinkta, o radau tik vienos organizacijos dokumentą. "
                "Pasirinkite savo organizaciją ir paklauskite dar kartą; artimiausios vietos – žemiau.")
    if english:
        text = "I did not find an answer in the documents provided."
        if nearest:
            return text + " The nearest passages are below: read them, they may not answer your question."
        return text + (f" You could look at: {titles}." if titles else "")
    text = "Pateiktuose dokumentuose atsakymo neradau."
    if nearest:
        return text + " Žemiau – artimiausios vietos dokumentuose: perskaitykite jas, jos gali ir neatsakyti į klausimą."
    return text + (f" Galite pažiūrėti: {titles}." if titles else "")
