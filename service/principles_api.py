"""HTTP handlers for principles, coverage and onboarding; the logic lives in service.coverage."""

import csv
import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ingest.principles import BY_ID, PRINCIPLES
from service.coverage import Coverage, principle_summary
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE, organization_scope

Organization = Annotated[str | None, Depends(organization_scope)]
# Characters that make a spreadsheet read a cell as a formula (and tab and carriage return,
# which some programs strip before looking).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

router = APIRouter(tags=["principles"])


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as the text it is: text that would start a formula
    (``=HYPERLINK(...)`` in a document title) gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def coverage_of(request: Request) -> Coverage:
    coverage = getattr(request.app.state, "coverage", None)
    if coverage is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    return coverage


@router.get("/api/organizations")
def organizations(request: Request) -> dict:
    return {"organizations": coverage_of(request).engine.organizations}


@router.get("/api/principles", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def principles(request: Request, organization: Organization) -> dict:
    coverage = coverage_of(request)
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


@router.get("/api/principles/{principle_id}",
            responses={404: {"description": "No such principle"}, **UNKNOWN_ORGANIZATION_RESPONSE})
def principle(request: Request, principle_id: str, organization: Organization) -> dict:
    if principle_id not in BY_ID:
        raise HTTPException(404, detail=f"No principle '{principle_id}'. Known: {', '.join(BY_ID)}")
    coverage = coverage_of(request)
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


@router.get("/api/coverage", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def coverage_matrix(request: Request, organization: Organization) -> dict:
    return coverage_of(request).matrix(organization)


@router.get("/api/coverage.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The coverage table as CSV"},
                       **UNKNOWN_ORGANIZATION_RESPONSE})
def coverage_csv(request: Request, organization: Organization) -> Response:
    matrix = coverage_of(request).matrix(organization)
    strengths = {(c["document_id"], c["principle"]): c["strength"] for c in matrix["cells"]}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["document_id", "title", "organization", *[p["id"] for p in matrix["principles"]]])
    for document in matrix["documents"]:
        writer.writerow([spreadsheet_cell(document["document_id"]), spreadsheet_cell(document["title"]),
                         spreadsheet_cell(document["organization"]),
                         *[f"{strengths[(document['document_id'], p['id'])]:.3f}" for p in matrix["principles"]]])
    name = f"coverage-{organization or 'all'}.csv".replace(" ", "_")
    # A byte-order mark lets spreadsheet programs read the Lithuanian letters as UTF-8.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/api/onboarding", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def onboarding(request: Request, organization: Organization) -> dict:
    return {"organization": organization, "steps": coverage_of(request).onboarding(organization)}
