"""HTTP handlers for administrators (organisations, accounts, embed keys) and the audit log.
Every change is written to the audit log."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from service.access import ACCESS_RESPONSES, Access, Caller, access, caller_of
from service.accounts.store import ADMINISTRATOR, COORDINATOR, AccountError, AccountStore
from service.organizations import UNKNOWN_ORGANIZATION_RESPONSE
from service.schemas import UNREADABLE_BODY_RESPONSE

router = APIRouter(tags=["administration"], responses={**ACCESS_RESPONSES,
                                                        409: {"description": "Refused; the detail says why"}})
AdminCaller = Annotated[Caller, Depends(caller_of(ADMINISTRATOR))]


class NewOrganization(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class NewAccount(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1000)
    role: str = Field(description="staff, coordinator or administrator")
    organization: str | None = Field(None, max_length=200)


class AccountChange(BaseModel):
    role: str | None = None
    organization: str | None = Field(None, max_length=200)
    active: bool | None = None
    password: str | None = Field(None, max_length=1000)


class NewEmbedKey(BaseModel):
    organization: str = Field(min_length=1, max_length=200)
    origins: list[str] = Field(min_length=1, max_length=20, description="Origins of the pages that embed the widget")


def store_of(request: Request) -> AccountStore:
    store = request.app.state.accounts
    if store is None:
        raise HTTPException(403, detail="Accounts are off on this service.")
    return store


def refused(error: AccountError) -> HTTPException:
    return HTTPException(409, detail=str(error))


@router.get("/api/admin/organizations")
def organizations(request: Request, caller: AdminCaller) -> dict:
    return {"organizations": store_of(request).organizations()}


@router.post("/api/admin/organizations", status_code=201, responses=UNREADABLE_BODY_RESPONSE)
def add_organization(request: Request, body: NewOrganization, caller: AdminCaller) -> dict:
    store = store_of(request)
    try:
        store.add_organization(body.name)
    except AccountError as error:
        raise refused(error) from None
    store.audit(caller.account, "organization.create", body.name, body.name)
    return {"name": body.name.strip()}


@router.get("/api/admin/accounts")
def accounts(request: Request, caller: AdminCaller) -> dict:
    return {"accounts": [asdict(a) for a in store_of(request).accounts()]}


@router.post("/api/admin/accounts", status_code=201, responses=UNREADABLE_BODY_RESPONSE)
def add_account(request: Request, body: NewAccount, caller: AdminCaller) -> dict:
    store = store_of(request)
    try:
        created = store.add_account(body.username, body.password, body.role, body.organization)
    except AccountError as error:
        raise refused(error) from None
    store.audit(caller.account, "account.create", created.username, created.organization, role=created.role)
    return asdict(created)


@router.patch("/api/admin/accounts/{account_id}", responses=UNREADABLE_BODY_RESPONSE)
def change_account(request: Request, account_id: int, body: AccountChange, caller: AdminCaller) -> dict:
    store = store_of(request)
    try:
        changed = store.change_account(account_id, body.role, body.organization, body.active, body.password)
    except AccountError as error:
        raise refused(error) from None
    what = {key: value for key, value in body.model_dump().items() if value is not None and key != "password"}
    store.audit(caller.account, "account.change", changed.username, changed.organization,
                password_changed=body.password is not None, **what)
    return asdict(changed)


@router.get("/api/admin/embed-keys")
def embed_keys(request: Request, caller: AdminCaller) -> dict:
    return {"embed_keys": [asdict(k) for k in store_of(request).embed_keys()]}


@router.post("/api/admin/embed-keys", status_code=201, responses=UNREADABLE_BODY_RESPONSE)
def add_embed_key(request: Request, body: NewEmbedKey, caller: AdminCaller) -> dict:
    """A widget key of one organisation, usable from the given origins; the key is shown only here."""
    store = store_of(request)
    try:
        key, made = store.add_embed_key(body.organization, body.origins)
    except AccountError as error:
        raise refused(error) from None
    store.audit(caller.account, "embed_key.create", made.prefix, made.organization, origins=list(made.origins))
    return {**asdict(made), "key": key}


@router.delete("/api/admin/embed-keys/{key_id}")
def revoke_embed_key(request: Request, key_id: int, caller: AdminCaller) -> dict:
    store = store_of(request)
    try:
        revoked = store.revoke_embed_key(key_id)
    except AccountError as error:
        raise refused(error) from None
    store.audit(caller.account, "embed_key.revoke", revoked.prefix, revoked.organization)
    return asdict(revoked)


@router.get("/api/audit", responses=UNKNOWN_ORGANIZATION_RESPONSE)
def audit(request: Request, allowed: Annotated[Access, Depends(access(COORDINATOR))]) -> dict:
    """Who uploaded, withdrew or changed what: the organisation's entries (all, for administrators)."""
    entries = store_of(request).audit_entries(allowed.organization)
    return {"organization": allowed.organization, "entries": [asdict(e) for e in entries]}
