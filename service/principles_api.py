"""HTTP handlers for principles, coverage and onboarding; the logic lives in service.coverage.

The coverage file opens by double-click in a Lithuanian spreadsheet: the CSV uses ``;`` between
cells and a decimal comma (what Excel expects with a Lithuanian locale), Lithuanian principle names
as headers and the gaps below the table; the .xlsx has a sheet each for the table, the gaps and
the evidence quotes. Text cells that a spreadsheet would run as a formula are escaped.
"""

import csv
import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ingest.principles import BY_ID, PRINCIPLES
from service.access import ACCESS_RESPONSES, Access, access
from service.accounts.store import COORDINATOR, STAFF
from service.coverage import Coverage, principle_summary
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE

# Staff read principles and onboarding; coverage is for coordinators.
StaffAccess = Annotated[Access, Depends(access(STAFF))]
CoordinatorAccess = Annotated[Access, Depends(access(COORDINATOR))]
RESPONSES = {**UNKNOWN_ORGANIZATION_RESPONSE, **ACCESS_RESPONSES}
# Characters that make a spreadsheet read a cell as a formula (and tab and carriage return,
# which some programs strip before looking).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

router = APIRouter(tags=["principles"], responses=RESPONSES)

LEVEL_LT = {"strong": "stiprus", "partial": "dalinis", "none": "nėra"}
KIND_LT = {"policy": "organizacijos dokumentas", "programme": "programos aprašas", "law": "įstatymas",
           "equass": "EQUASS aprašas"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_cell(value: str | None) -> str:
    """Text a spreadsheet shows as text: a cell starting with = + - @ (or a tab or carriage return)
    would be run as a formula, so it gets a leading apostrophe (formula injection, CWE-1236)."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def decimal_comma(value: float) -> str:
    return f"{value:.3f}".replace(".", ",")


def coverage_of(request: Request, allowed: Access) -> Coverage:
    """The coverage of the served generation, as the request's scope sees it."""
    served = getattr(request.app.state, "served", None)
    if served is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return served.within(allowed.scope).coverage


def download(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name.replace(' ', '_'))}"})


@router.get("/api/organizations")
def organizations(request: Request, allowed: StaffAccess) -> dict:
    return {"organizations": coverage_of(request, allowed).engine.organizations}


@router.get("/api/principles")
def principles(request: Request, allowed: StaffAccess) -> dict:
    organization = allowed.organization
    coverage = coverage_of(request, allowed)
    result = []
    for principle in PRINCIPLES:
        description = coverage.description(principle)
        result.append({
            **principle_summary(principle),
            "document_count": len(coverage.covering(principle, organization)),
            "description_document_id": description.document_id if description else None,
            "questions": list(principle.questions),
        })
    return {"organization": organization, "principles": result}


@router.get("/api/principles/{principle_id}", responses={404: {"description": "No such principle"}})
def principle(request: Request, principle_id: str, allowed: StaffAccess) -> dict:
    if principle_id not in BY_ID:
        raise HTTPException(404, detail=f"No principle '{principle_id}'. Known: {', '.join(BY_ID)}")
    organization = allowed.organization
    coverage = coverage_of(request, allowed)
    selected = BY_ID[principle_id]
    description = coverage.description(selected)
    return {
        **principle_summary(selected),
        "organization": organization,
        "description_document_id": description.document_id if description else None,
        "summary": coverage.summary_quote(selected),
        "documents": [
            {"document_id": c.document.document_id, "title": c.document.title, "organization": c.document.organization,
             "kind": c.document.kind, "strength": round(c.strength, 3), "quotes": coverage.quotes(c)}
            for c in coverage.covering(selected, organization)
        ],
    }


@router.get("/api/coverage")
def coverage_matrix(request: Request, allowed: CoordinatorAccess) -> dict:
    return coverage_of(request, allowed).matrix(allowed.organization)


def matrix_rows(matrix: dict) -> list[list]:
    """The coverage table: a header of Lithuanian principle names, then one row per document."""
    strengths = {(c["document_id"], c["principle"]): c["strength"] for c in matrix["cells"]}
    rows = [["Dokumento ID", "Dokumentas", "Organizacija", "Rūšis", *[p["name_lt"] for p in matrix["principles"]]]]
    for document in matrix["documents"]:
        rows.append([document["document_id"], document["title"], document["organization"],
                     KIND_LT.get(document["kind"], document["kind"]),
                     *[strengths[(document["document_id"], p["id"])] for p in matrix["principles"]]])
    return rows


def gap_rows(matrix: dict) -> list[list]:
    rows = [["Organizacija", "Principas", "Lygis", "Stiprumas", "Stipriausias dokumentas", "Citata"]]
    for gap in matrix["gaps"]:
        quote_text = gap["quote"].text if gap["quote"] else ""
        rows.append([gap["organization"], gap["name_lt"], LEVEL_LT[gap["level"]], gap["best_strength"],
                     gap["best_document_id"] or "", quote_text])
    return rows


def evidence_rows(matrix: dict, base_url: str) -> list[list]:
    titles = {d["document_id"]: d["title"] for d in matrix["documents"]}
    names = {p["id"]: p["name_lt"] for p in matrix["principles"]}
    rows = [["Dokumentas", "Principas", "Lygis", "Stiprumas", "Citata", "Nuoroda"]]
    for cell in matrix["cells"]:
        if cell["quote"] is not None:
            rows.append([titles[cell["document_id"]], names[cell["principle"]], LEVEL_LT[cell["level"]],
                         cell["strength"], cell["quote"].text, base_url + cell["quote"].url])
    return rows


@router.get("/api/coverage.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The coverage table as CSV"}})
def coverage_csv(request: Request, allowed: CoordinatorAccess) -> Response:
    """The coverage table and, below it, the gaps, as a CSV for Lithuanian Excel (``;``, decimal comma)."""
    organization = allowed.organization
    matrix = coverage_of(request, allowed).matrix(organization)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for rows in (matrix_rows(matrix), [[]], [["Spragos"]], gap_rows(matrix)):
        for row in rows:
            writer.writerow([decimal_comma(v) if isinstance(v, float) else spreadsheet_cell(str(v)) for v in row])
    # A byte-order mark lets Excel read the Lithuanian letters as UTF-8.
    return download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8",
                    f"aprėptis-{organization or 'visos'}.csv")


@router.get("/api/coverage.xlsx", response_class=Response,
            responses={200: {"content": {XLSX_TYPE: {}}, "description": "The coverage workbook"}})
def coverage_xlsx(request: Request, allowed: CoordinatorAccess) -> Response:
    """The same as a workbook: the coverage table, the gaps and the evidence quote of every covered cell."""
    organization = allowed.organization
    matrix = coverage_of(request, allowed).matrix(organization)
    workbook = Workbook()
    sheets = (("Aprėptis", matrix_rows(matrix)), ("Spragos", gap_rows(matrix)),
              ("Citatos", evidence_rows(matrix, str(request.base_url).rstrip("/"))))
    for number, (title, rows) in enumerate(sheets):
        sheet = workbook.active if number == 0 else workbook.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append([v if isinstance(v, float) else str(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.000"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula: "=..." is shown, not run
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return download(out.getvalue(), XLSX_TYPE, f"aprėptis-{organization or 'visos'}.xlsx")


@router.get("/api/onboarding")
def onboarding(request: Request, allowed: StaffAccess) -> dict:
    return {"organization": allowed.organization, "steps": coverage_of(request, allowed).onboarding(allowed.organization)}
