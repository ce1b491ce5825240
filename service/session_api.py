"""Signing in and out. A session is an HttpOnly, SameSite=Lax cookie (Secure unless turned off for
plain-HTTP testing) that names a row of the sessions table; sign-in failures are limited per user
name and per address (``EQUASS_SIGN_IN_LIMIT``); the sign-in form carries a CSRF token of its own
(double submit: the same random value in a cookie and in the request's header)."""

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, Field

from ingest.settings import Settings
from service.access import (ACCESS_RESPONSES, CSRF_HEADER, SESSION_COOKIE, SIGN_IN_COOKIE, Caller, caller_of,
                            same_token)
from service.schemas import UNREADABLE_BODY_RESPONSE

router = APIRouter(tags=["session"])


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1000)


class SessionOut(BaseModel):
    accounts: bool = Field(description="Whether this service has accounts turned on")
    signed_in: bool
    username: str | None = None
    role: str | None = None
    organization: str | None = None
    csrf_token: str | None = Field(None, description="Send it as X-CSRF-Token with every POST, PATCH and DELETE")


class SignInLimiter:
    """Failed sign-ins per user name and per address, in a moving window (the ``limits`` library)."""

    def __init__(self, limit: str, storage: str):
        self.limit = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def wait_seconds(self, username: str, address: str) -> int:
        """0 when another try is allowed, else how long to wait."""
        keys = (("user", username.strip().casefold()), ("address", address))
        blocked = [key for key in keys if not self.limiter.test(self.limit, "sign-in", *key)]
        if not blocked:
            return 0
        reset = max(self.limiter.get_window_stats(self.limit, "sign-in", *key).reset_time for key in blocked)
        return max(1, int(reset - time.time()) + 1)

    def failed(self, username: str, address: str) -> None:
        self.limiter.hit(self.limit, "sign-in", "user", username.strip().casefold())
        self.limiter.hit(self.limit, "sign-in", "address", address)


def sign_in_limiter(settings: Settings) -> SignInLimiter:
    return SignInLimiter(settings.sign_in_limit, settings.rate_limit_storage)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies)


SIGN_IN_TOKEN_SECONDS = 3600


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one in the browser's cookie, or a new one (the page sets it)."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


def describe(caller: Caller, accounts: bool) -> SessionOut:
    account = caller.account
    if account is None:
        return SessionOut(accounts=accounts, signed_in=False)
    return SessionOut(accounts=accounts, signed_in=True, username=account.username, role=account.role,
                      organization=account.organization, csrf_token=caller.csrf_token)


@router.get("/api/session", response_model=SessionOut)
def session(request: Request, caller: Annotated[Caller, Depends(caller_of(None, widget=True, anonymous=True))]) -> SessionOut:
    """Who is signed in, and the session's CSRF token (readable by this site's own pages only)."""
    return describe(caller, request.app.state.settings.accounts)


@router.post("/api/session", response_model=SessionOut,
             responses={**UNREADABLE_BODY_RESPONSE,
                        403: {"description": "Accounts are off, or the sign-in form's CSRF token is missing"},
                        401: {"description": "Wrong user name or password"},
                        429: {"description": "Too many failed sign-ins; see Retry-After"}})
def sign_in(request: Request, body: SignIn, response: Response) -> SessionOut:
    settings = request.app.state.settings
    if not settings.accounts:
        raise HTTPException(403, detail="Accounts are off on this service; nothing to sign in to.")
    if not same_token(request.headers.get(CSRF_HEADER), request.cookies.get(SIGN_IN_COOKIE) or ""):
        raise HTTPException(403, detail="The sign-in form's CSRF token is missing or stale; reload /login.")
    address = request.client.host if request.client else "unknown"
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    wait = limiter.wait_seconds(body.username, address)
    if wait:
        raise HTTPException(429, detail=f"Too many failed sign-ins; try again in {wait} s.",
                            headers={"Retry-After": str(wait)})
    store = request.app.state.accounts
    account = store.authenticate(body.username, body.password)
    if account is None:
        limiter.failed(body.username, address)
        raise HTTPException(401, detail="Wrong user name or password.")
    token, signed_in = store.start_session(account)
    set_cookie(response, request, SESSION_COOKIE, token, int(signed_in.expires_at - time.time()))
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return SessionOut(accounts=True, signed_in=True, username=account.username, role=account.role,
                      organization=account.organization, csrf_token=signed_in.csrf_token)


@router.delete("/api/session", response_model=SessionOut, responses=ACCESS_RESPONSES)
def sign_out(request: Request, response: Response,
             caller: Annotated[Caller, Depends(caller_of(None))]) -> SessionOut:
    """End this session (with its CSRF token, like every state-changing request)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.app.state.accounts is not None:
        request.app.state.accounts.end_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return SessionOut(accounts=request.app.state.settings.accounts, signed_in=False)
