"""Who is calling, what they may do and which documents they may see.

With accounts off (the default, a single-organisation install) everyone may do what staff and
coordinators do, and ``organization`` is a filter the caller chooses. With accounts on, a caller
is a signed-in account (session cookie), the widget (an embed key, only from the key's allowed
origins), or anonymous (who may open public and shared documents by their link, nothing else).
The organisation comes from the account or the key: a request's ``organization`` may narrow
what an administrator sees, and is refused when it names another organisation than the caller's.

Every state-changing request made with a session cookie must carry the session's CSRF token in the
``X-CSRF-Token`` header; the pages' scripts send it (it is in each page's ``<meta name="csrf-token">``).
"""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Query, Request

from service.accounts.store import ADMINISTRATOR, COORDINATOR, STAFF, Account, EmbedKey
from service.organizations import known_organization
from service.schemas import MAX_ORGANIZATION_CHARS, plain_text
from service.scopes import Scope

SESSION_COOKIE = "equass_session"
SIGN_IN_COOKIE = "equass_sign_in"  # the sign-in form's CSRF token (double submit), before a session exists
CSRF_HEADER = "X-CSRF-Token"
EMBED_KEY_HEADER = "X-Embed-Key"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
RANK = {STAFF: 1, COORDINATOR: 2, ADMINISTRATOR: 3}

OPEN = "open"  # accounts are off
ACCOUNT = "account"
WIDGET = "widget"
ANONYMOUS = "anonymous"

# For the OpenAPI document of every endpoint that checks its caller.
ACCESS_RESPONSES = {
    401: {"description": "Not signed in (accounts are on): sign in at /login"},
    403: {"description": "Signed in, but not allowed: a lower role, another organisation, the widget's key, "
                         "a missing CSRF token, or accounts are off"},
}


@dataclass(frozen=True)
class Caller:
    kind: str  # OPEN, ACCOUNT, WIDGET or ANONYMOUS
    scope: Scope  # the most this caller may see
    account: Account | None = None
    key: EmbedKey | None = None
    csrf_token: str | None = None

    @property
    def owner(self) -> str:
        """Whom a conversation belongs to: the account, the widget's key, or (accounts off) anyone."""
        if self.account is not None:
            return f"account:{self.account.id}"
        if self.key is not None:
            return f"key:{self.key.id}"
        return ""

    def has(self, role: str) -> bool:
        if self.kind == OPEN:
            return role != ADMINISTRATOR
        return self.account is not None and RANK[self.account.role] >= RANK[role]


@dataclass(frozen=True)
class Access:
    """A caller allowed in, with what this request sees: ``scope`` bounds every document, and
    ``organization`` is the filter passed on (the requested one with accounts off; the scope's
    organisation with accounts on)."""

    caller: Caller
    scope: Scope
    organization: str | None


def current_caller(request: Request) -> Caller:
    """The caller of this request (worked out once per request)."""
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    if not request.app.state.settings.accounts:
        caller = Caller(OPEN, Scope(laws=laws_in_scope(request)))
    else:
        caller = _caller_with_accounts(request)
    request.state.caller = caller
    return caller


def _caller_with_accounts(request: Request) -> Caller:
    store = request.app.state.accounts
    token = request.cookies.get(SESSION_COOKIE)
    signed_in = store.session(token) if token else None
    if signed_in is not None:
        if request.method not in SAFE_METHODS and not same_token(request.headers.get(CSRF_HEADER), signed_in.csrf_token):
            raise HTTPException(403, detail="The request lacks this session's CSRF token (header X-CSRF-Token); "
                                            "reload the page and try again.")
        account = signed_in.account
        return Caller(ACCOUNT, Scope(account.organization, laws=laws_in_scope(request)), account,
                      csrf_token=signed_in.csrf_token)
    key_text = request.headers.get(EMBED_KEY_HEADER)
    if key_text:
        key = store.embed_key(key_text)
        if key is None:
            raise HTTPException(401, detail="Unknown or revoked embed key; ask the assistant's administrator for "
                                            "a new one.")
        origin = (request.headers.get("origin") or "").lower()
        if origin not in key.origins:
            raise HTTPException(403, detail=f"This embed key works only on pages of: {', '.join(key.origins)}.")
        return Caller(WIDGET, Scope(key.organization, public_only=True, laws=laws_in_scope(request)), key=key)
    return Caller(ANONYMOUS, Scope(public_only=True, laws=laws_in_scope(request)))


def laws_in_scope(request: Request) -> frozenset[str]:
    """The laws the service answers from (``EQUASS_LAWS_IN_SCOPE``); empty: every law of the index."""
    return frozenset(request.app.state.settings.laws_in_scope)


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def allowed(request: Request, minimum: str | None, widget: bool = False, anonymous: bool = False) -> Caller:
    """The caller, if it may use this endpoint: an account (or, accounts off, anyone) of at least
    ``minimum``; the widget when ``widget``; anyone when ``anonymous``."""
    caller = current_caller(request)
    if caller.kind == WIDGET:
        if widget:
            return caller
        raise HTTPException(403, detail="The widget's embed key cannot be used here.")
    if caller.kind == ANONYMOUS:
        if anonymous:
            return caller
        raise HTTPException(401, detail="Sign in first: /login")
    if minimum is not None and not caller.has(minimum):
        if caller.kind == OPEN:
            raise HTTPException(403, detail="Accounts are off on this service: turn them on (EQUASS_ACCOUNTS=true) "
                                            "and create an administrator (python -m service.accounts create-admin).")
        raise HTTPException(403, detail=f"This needs the role {minimum}; your account is {caller.account.role}.")
    return caller


def narrowed(request: Request, caller: Caller, organization: str | None) -> Access:
    """What the request sees when it asks for ``organization``: never more than the caller may."""
    name = plain_text(organization) if organization else None
    if caller.kind == OPEN:
        return Access(caller, caller.scope, known_organization(request, name))
    own = caller.scope.organization
    if not name:
        return Access(caller, caller.scope, own)
    if own is not None:
        if name != own:
            raise HTTPException(403, detail=f"You see the documents of {own} only.")
        return Access(caller, caller.scope, own)
    scope = Scope(known_organization(request, name), caller.scope.public_only, caller.scope.laws)
    return Access(caller, scope, scope.organization)


OrganizationQuery = Annotated[str | None, Query(max_length=MAX_ORGANIZATION_CHARS,
                                                description="One of /api/organizations; narrows, never widens, "
                                                            "what the caller sees. Unknown names get 422")]


def access(minimum: str | None, widget: bool = False):
    """A dependency: the allowed caller with the scope its request's ``organization`` narrows to."""
    def dependency(request: Request, organization: OrganizationQuery = None) -> Access:
        return narrowed(request, allowed(request, minimum, widget), organization)
    return dependency


def caller_of(minimum: str | None, widget: bool = False, anonymous: bool = False):
    """A dependency: the allowed caller (for endpoints without an ``organization`` parameter)."""
    def dependency(request: Request) -> Caller:
        return allowed(request, minimum, widget, anonymous)
    return dependency
