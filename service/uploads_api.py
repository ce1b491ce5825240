"""HTTP handlers for uploading and withdrawing documents; the work is done by service.uploads."""

import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from service.access import ACCESS_RESPONSES, Access, Caller, access, caller_of
from service.accounts.store import ADMINISTRATOR, COORDINATOR, Job
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE
from service.uploads import DOCUMENT_SUFFIXES, LAW_SUFFIXES, Received, UploadManager, check_file

router = APIRouter(tags=["uploads"], responses=ACCESS_RESPONSES)
CoordinatorCaller = Annotated[Caller, Depends(caller_of(COORDINATOR))]
SIGNATURE_BYTES = 8

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "visibility": {"type": "string", "enum": ["internal", "public"], "default": "internal"},
        "organization": {"type": "string", "description": "Administrators: the organisation the files belong to"},
        "shared": {"type": "boolean", "description": "Administrators: shared documents (laws, EQUASS), seen by all"},
    }}}}}}


def manager_of(request: Request) -> UploadManager:
    return request.app.state.uploads


def job_out(job: Job) -> dict:
    return {key: value for key, value in asdict(job).items()}


def target_organization(request: Request, caller: Caller, organization: str | None, shared: bool) -> str | None:
    """Whose documents a request changes: a coordinator's own organisation; an administrator's
    choice of organisation, or the shared documents (None)."""
    account = caller.account
    if account.role != ADMINISTRATOR:
        if shared or (organization and organization != account.organization):
            raise HTTPException(403, detail=f"You manage the documents of {account.organization} only.")
        return account.organization
    if shared:
        return None
    if not organization:
        raise HTTPException(422, detail="Say whose documents these are: an organisation, or shared.")
    if organization not in request.app.state.accounts.organizations():
        raise HTTPException(422, detail=f"No organisation '{organization}'; add it on the admin API first.")
    return organization


@router.get("/api/uploads", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def uploaded(request: Request, allowed: Annotated[Access, Depends(access(COORDINATOR))]) -> dict:
    """The organisation's documents, when each was last indexed, and which were uploaded here
    (only those can be withdrawn here); and what may be uploaded."""
    settings = request.app.state.settings
    if not settings.accounts:
        raise HTTPException(403, detail="Uploads need accounts: turn them on (EQUASS_ACCOUNTS=true).")
    organization = allowed.organization
    served = request.app.state.served
    documents = [] if served is None else served.within(allowed.scope).engine.documents(organization)
    own = [d for d in documents if not d.shared and (organization is None or d.organization == organization)]
    entries = manager_of(request).entries(organization).values() if organization else []
    uploaded_ids = {entry["id"] for entry in entries}
    return {
        "organization": organization,
        "documents": [{**d.model_dump(), "uploaded": d.document_id in uploaded_ids} for d in own],
        "accepts": list(DOCUMENT_SUFFIXES) + (list(LAW_SUFFIXES) if allowed.caller.has(ADMINISTRATOR) else []),
        "max_file_bytes": settings.max_file_bytes,
        "max_files": settings.upload_max_files,
    }


def stage(form_files: list[UploadFile], staging: Path, max_bytes: int, laws: bool) -> list[Received]:
    """Check each file by name, size and first bytes; keep the accepted ones in ``staging``."""
    staging.mkdir(parents=True, exist_ok=True)
    received = []
    for number, upload in enumerate(form_files):
        name = Path(upload.filename or "").name or f"file-{number + 1}"
        head = upload.file.read(SIGNATURE_BYTES)
        reason = check_file(name, upload.size or 0, head, max_bytes, laws)
        if reason is not None:
            received.append(Received(name, None, reason))
            continue
        upload.file.seek(0)
        target = staging / f"{number}-{uuid.uuid4().hex}{Path(name).suffix.lower()}"
        with open(target, "wb") as out:
            shutil.copyfileobj(upload.file, out)
        received.append(Received(name, target))
    return received


@router.post("/api/uploads", status_code=202, openapi_extra=UPLOAD_BODY,
             responses={411: {"description": "No Content-Length"}, 413: {"description": "The request is too large"},
                        400: {"description": "Not a readable form"}, 422: {"description": "A wrong field"}})
async def upload(request: Request, caller: CoordinatorCaller) -> JSONResponse:
    """Upload files (multipart field ``files``); each is checked by type and size before anything
    reads it, then ingested in the background. Answers at once with the job (see /api/uploads/jobs/{id})."""
    settings = request.app.state.settings
    if not settings.accounts:
        raise HTTPException(403, detail="Uploads need accounts: turn them on (EQUASS_ACCOUNTS=true).")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, detail="Send the upload with a Content-Length.")
    if int(length) > settings.upload_max_request_bytes:
        raise HTTPException(413, detail=f"The upload is {int(length):,} bytes, over the limit of "
                                        f"{settings.upload_max_request_bytes:,}; send fewer files at a time.")
    try:
        async with request.form(max_files=settings.upload_max_files, max_fields=10) as form:
            files = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
            visibility = str(form.get("visibility") or "internal")
            organization = str(form.get("organization") or "") or None
            shared = str(form.get("shared") or "").lower() in ("true", "1", "on")
            if visibility not in ("internal", "public"):
                raise HTTPException(422, detail="visibility is internal or public.")
            if not files:
                raise HTTPException(422, detail="No file in the field 'files'.")
            target = target_organization(request, caller, organization, shared)
            manager = manager_of(request)
            received = await run_in_threadpool(stage, files, manager.staging / uuid.uuid4().hex,
                                               settings.max_file_bytes, caller.has(ADMINISTRATOR))
    except MultiPartException as error:
        raise HTTPException(400, detail=f"The upload is not a readable form: {error.message}") from None
    job = await run_in_threadpool(manager.submit_upload, caller.account, target, visibility, received)
    return JSONResponse(job_out(job), status_code=202)


@router.get("/api/uploads/jobs/{job_id}", responses={404: {"description": "No such job of the caller's organisation"}})
def job_status(request: Request, job_id: str, caller: CoordinatorCaller) -> dict:
    """Progress of an upload or withdrawal: state (queued, running, loading, done, failed), stage
    (reading, embedding, writing, loading) with done/total, and each file's result."""
    store = request.app.state.accounts
    job = store.job(job_id) if store is not None else None
    if job is None or not (caller.has(ADMINISTRATOR) or job.organization == caller.account.organization):
        raise HTTPException(404, detail="No such upload job.")
    return job_out(job)


@router.delete("/api/uploads/documents/{document_id}", status_code=202,
               responses={404: {"description": "No such uploaded document of the caller's organisation"}})
def withdraw(request: Request, document_id: str, caller: CoordinatorCaller, organization: str | None = None,
             shared: bool = False) -> JSONResponse:
    """Withdraw an uploaded document: it leaves the index in the background, like an upload."""
    if not request.app.state.settings.accounts:
        raise HTTPException(403, detail="Uploads need accounts: turn them on (EQUASS_ACCOUNTS=true).")
    target = target_organization(request, caller, organization, shared)
    if not manager_of(request).uploaded(target, document_id):
        raise HTTPException(404, detail="No such uploaded document of yours; only documents uploaded here can be "
                                        "withdrawn here.")
    job = manager_of(request).submit_withdrawal(caller.account, target, document_id)
    return JSONResponse(job_out(job), status_code=202)
