"""The organisation a request is scoped to: a known one, or none.

An unknown name is refused (HTTP 422, with the known names) rather than answered with an empty
scope: a typo in the widget's ``data-organization`` must be visible, and per-organisation caches
(allowed chunks, name terms, coverage quotes) must only ever hold the organisations of the index.
"""

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from service.schemas import InvalidRequest, UnknownOrganizationError, plain_text

# For the OpenAPI document of every endpoint that takes an organisation.
UNKNOWN_ORGANIZATION_RESPONSE = {422: {"model": InvalidRequest | UnknownOrganizationError,
                                       "description": "A malformed request, or an unknown organisation"}}


class UnknownOrganization(Exception):
    def __init__(self, name: str, known: list[str]):
        super().__init__(name)
        self.name = name
        self.known = known


def known_organization(request: Request, name: str | None) -> str | None:
    """``name`` when the index knows it; None for no organisation (also for an empty name)."""
    if name is None or not (name := plain_text(name)):
        return None
    engine = request.app.state.engine
    if engine is None:
        raise HTTPException(503, detail=request.app.state.not_ready_reason)
    if name not in engine.organizations:
        raise UnknownOrganization(name, engine.organizations)
    return name


def unknown_organization_response(request: Request, error: UnknownOrganization) -> JSONResponse:
    known = "; ".join(error.known) or "none: the index holds shared documents only"
    return JSONResponse(status_code=422, content={
        "detail": f"Unknown organisation '{error.name}'. Known organisations: {known}.",
        "organizations": error.known,
    })
