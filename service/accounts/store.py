"""Accounts, sessions, embed keys, the audit log and ingest jobs: plain functions over the tables.

Secrets are kept only as hashes: passwords with argon2 (pwdlib), session cookies and embed keys
as SHA-256 of a random token (a stolen copy of the database signs nobody in). The audit log says
who did what to which document or account; it never holds a question or a password.
"""

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pwdlib import PasswordHash
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from service.accounts.tables import accounts, audit_log, embed_keys, ingest_jobs, job_runners, organizations, sessions

STAFF = "staff"
COORDINATOR = "coordinator"
ADMINISTRATOR = "administrator"
ROLES = (STAFF, COORDINATOR, ADMINISTRATOR)
MIN_PASSWORD_CHARS = 10

passwords = PasswordHash.recommended()
# Verified against when the user name is unknown, so both cases take the same time.
_UNKNOWN_USER_HASH = passwords.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request the store refuses; the message says what to change."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    organization: str | None
    active: bool = True


@dataclass(frozen=True)
class SignedIn:
    account: Account
    csrf_token: str
    expires_at: float


@dataclass(frozen=True)
class EmbedKey:
    id: int
    prefix: str
    organization: str
    origins: tuple[str, ...]
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    organization: str | None
    target: str
    detail: dict


@dataclass
class Job:
    """A background ingest started from the upload page, and what became of each file."""

    id: str
    organization: str | None
    state: str  # queued, running, loading, done, failed
    stage: str
    done: int
    total: int
    files: list[dict] = field(default_factory=list)
    message: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normal_username(username: str) -> str:
    return username.strip().casefold()


class AccountStore:
    def __init__(self, engine: Engine, session_hours: float):
        self.engine = engine
        self.session_seconds = session_hours * 3600
        # Counts the embed keys added or revoked by this process (CORS re-reads their origins).
        self.keys_version = 0

    # -- organisations ------------------------------------------------------------------------

    def add_organization(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise AccountError("An organisation needs a name.")
        try:
            with self.engine.begin() as db:
                return db.execute(insert(organizations).values(name=name, created_at=time.time())).inserted_primary_key[0]
        except IntegrityError:
            raise AccountError(f"The organisation '{name}' already exists.") from None

    def organizations(self) -> list[str]:
        with self.engine.connect() as db:
            return list(db.execute(select(organizations.c.name).order_by(organizations.c.name)).scalars())

    def _organization_id(self, db, name: str | None, create: bool = False) -> int | None:
        if name is None:
            return None
        found = db.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()
        if found is None:
            if not create:
                raise AccountError(f"No organisation '{name}'. Add it first (python -m service.accounts "
                                   "add-organization NAME).")
            found = db.execute(insert(organizations).values(name=name, created_at=time.time())).inserted_primary_key[0]
        return found

    # -- accounts -----------------------------------------------------------------------------

    def add_account(self, username: str, password: str, role: str, organization: str | None,
                    create_organization: bool = False) -> Account:
        username = normal_username(username)
        if not username or len(username) > 120:
            raise AccountError("A user name needs 1 to 120 characters.")
        if role not in ROLES:
            raise AccountError(f"Unknown role '{role}'; one of: {', '.join(ROLES)}.")
        if role != ADMINISTRATOR and not organization:
            raise AccountError("Staff and coordinators belong to an organisation: give one.")
        check_password(password)
        try:
            with self.engine.begin() as db:
                organization_id = self._organization_id(db, organization, create_organization)
                account_id = db.execute(insert(accounts).values(
                    username=username, password_hash=passwords.hash(password), role=role,
                    organization_id=organization_id, active=True, created_at=time.time())).inserted_primary_key[0]
        except IntegrityError:
            raise AccountError(f"The user name '{username}' is taken.") from None
        return Account(account_id, username, role, organization)

    def _account_query(self):
        return (select(accounts.c.id, accounts.c.username, accounts.c.role, organizations.c.name, accounts.c.active)
                .select_from(accounts.outerjoin(organizations, accounts.c.organization_id == organizations.c.id)))

    def accounts(self) -> list[Account]:
        with self.engine.connect() as db:
            return [Account(*row) for row in db.execute(self._account_query().order_by(accounts.c.username))]

    def account(self, account_id: int) -> Account | None:
        with self.engine.connect() as db:
            row = db.execute(self._account_query().where(accounts.c.id == account_id)).first()
        return Account(*row) if row else None

    def change_account(self, account_id: int, role: str | None = None, organization: str | None = None,
                       active: bool | None = None, password: str | None = None) -> Account:
        """Change what is given; a changed password, role, organisation or a deactivation ends the
        account's sessions."""
        values: dict = {}
        if role is not None:
            if role not in ROLES:
                raise AccountError(f"Unknown role '{role}'; one of: {', '.join(ROLES)}.")
            values["role"] = role
        if active is not None:
            values["active"] = active
        if password is not None:
            check_password(password)
            values["password_hash"] = passwords.hash(password)
        with self.engine.begin() as db:
            if organization is not None:
                values["organization_id"] = self._organization_id(db, organization)
            if not values:
                raise AccountError("Nothing to change.")
            if db.execute(update(accounts).where(accounts.c.id == account_id).values(**values)).rowcount == 0:
                raise AccountError(f"No account {account_id}.")
            db.execute(delete(sessions).where(sessions.c.account_id == account_id))
        changed = self.account(account_id)
        if changed.role != ADMINISTRATOR and changed.organization is None:
            raise AccountError("Staff and coordinators belong to an organisation: give one.")
        return changed

    def authenticate(self, username: str, password: str) -> Account | None:
        """The active account with this name and password; None otherwise (in the same time)."""
        with self.engine.connect() as db:
            row = db.execute(select(accounts.c.id, accounts.c.password_hash, accounts.c.active)
                             .where(accounts.c.username == normal_username(username))).first()
        if row is None:
            passwords.verify(password, _UNKNOWN_USER_HASH)
            return None
        valid, new_hash = passwords.verify_and_update(password, row.password_hash)
        if not valid or not row.active:
            return None
        if new_hash is not None:  # hashed with older parameters: store the current ones
            with self.engine.begin() as db:
                db.execute(update(accounts).where(accounts.c.id == row.id).values(password_hash=new_hash))
        return self.account(row.id)

    # -- sessions -----------------------------------------------------------------------------

    def start_session(self, account: Account) -> tuple[str, SignedIn]:
        """A new session; returns the cookie's token (kept nowhere else) and the session."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.begin() as db:
            db.execute(delete(sessions).where(sessions.c.expires_at < now))
            db.execute(insert(sessions).values(token_hash=token_hash(token), account_id=account.id, csrf_token=csrf,
                                               created_at=now, expires_at=now + self.session_seconds))
        return token, SignedIn(account, csrf, now + self.session_seconds)

    def session(self, token: str) -> SignedIn | None:
        """The live session of an active account with this cookie token, if any."""
        with self.engine.connect() as db:
            row = db.execute(select(sessions.c.account_id, sessions.c.csrf_token, sessions.c.expires_at)
                             .where(sessions.c.token_hash == token_hash(token))).first()
        if row is None or row.expires_at < time.time():
            return None
        account = self.account(row.account_id)
        if account is None or not account.active:
            return None
        return SignedIn(account, row.csrf_token, row.expires_at)

    def end_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    # -- embed keys ---------------------------------------------------------------------------

    def add_embed_key(self, organization: str, origins: list[str]) -> tuple[str, EmbedKey]:
        """A new key for the widget of ``organization``, usable from ``origins`` only; the key
        itself is returned once and kept only as a hash."""
        origins = [check_origin(origin) for origin in origins]
        if not origins:
            raise AccountError("An embed key needs at least one allowed origin, e.g. https://intranet.example.lt")
        key = "ek_" + secrets.token_urlsafe(24)
        now = time.time()
        with self.engine.begin() as db:
            organization_id = self._organization_id(db, organization)
            key_id = db.execute(insert(embed_keys).values(
                key_hash=token_hash(key), prefix=key[:10], organization_id=organization_id,
                origins=json.dumps(origins), created_at=now)).inserted_primary_key[0]
        self.keys_version += 1
        return key, EmbedKey(key_id, key[:10], organization, tuple(origins), now)

    def _key_query(self):
        return (select(embed_keys.c.id, embed_keys.c.prefix, organizations.c.name, embed_keys.c.origins,
                       embed_keys.c.created_at, embed_keys.c.revoked_at)
                .select_from(embed_keys.join(organizations, embed_keys.c.organization_id == organizations.c.id)))

    @staticmethod
    def _key(row) -> EmbedKey:
        return EmbedKey(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5])

    def embed_key(self, key: str) -> EmbedKey | None:
        """The live key, if ``key`` is one."""
        with self.engine.connect() as db:
            row = db.execute(self._key_query().where(embed_keys.c.key_hash == token_hash(key),
                                                     embed_keys.c.revoked_at.is_(None))).first()
        return self._key(row) if row else None

    def embed_keys(self) -> list[EmbedKey]:
        with self.engine.connect() as db:
            return [self._key(row) for row in db.execute(self._key_query().order_by(embed_keys.c.id))]

    def revoke_embed_key(self, key_id: int) -> EmbedKey:
        with self.engine.begin() as db:
            if db.execute(update(embed_keys).where(embed_keys.c.id == key_id, embed_keys.c.revoked_at.is_(None))
                          .values(revoked_at=time.time())).rowcount == 0:
                raise AccountError(f"No live embed key {key_id}.")
        self.keys_version += 1
        return next(k for k in self.embed_keys() if k.id == key_id)

    def embed_origins(self) -> set[str]:
        """Every origin some live key may be used from (for CORS)."""
        with self.engine.connect() as db:
            rows = db.execute(select(embed_keys.c.origins).where(embed_keys.c.revoked_at.is_(None))).scalars()
            return {origin for origins in rows for origin in json.loads(origins)}

    # -- audit log ----------------------------------------------------------------------------

    def audit(self, actor: Account | None, action: str, target: str, organization: str | None = None,
              **detail) -> None:
        with self.engine.begin() as db:
            db.execute(insert(audit_log).values(
                at=time.time(), actor_id=actor.id if actor else None, actor=actor.username if actor else "(command line)",
                action=action, organization=organization, target=target[:300],
                detail=json.dumps(detail, ensure_ascii=False)))

    def audit_entries(self, organization: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Newest first; of one organisation when given."""
        query = select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.organization,
                       audit_log.c.target, audit_log.c.detail)
        if organization is not None:
            query = query.where(audit_log.c.organization == organization)
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(audit_log.c.id.desc()).limit(limit)).all()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    # -- ingest jobs --------------------------------------------------------------------------

    def add_job(self, organization: str | None, actor: Account | None, files: list[dict],
                runner: str | None = None) -> Job:
        now = time.time()
        job = Job(uuid.uuid4().hex, organization, "queued", "queued", 0, 0, files, "", now, now)
        with self.engine.begin() as db:
            db.execute(insert(ingest_jobs).values(
                id=job.id, organization=organization, actor_id=actor.id if actor else None, state=job.state,
                stage=job.stage, done=0, total=0, files=json.dumps(files, ensure_ascii=False), message="",
                created_at=now, updated_at=now, runner=runner))
        return job

    def update_job(self, job_id: str, **values) -> None:
        if "files" in values:
            values["files"] = json.dumps(values["files"], ensure_ascii=False)
        with self.engine.begin() as db:
            db.execute(update(ingest_jobs).where(ingest_jobs.c.id == job_id).values(updated_at=time.time(), **values))

    def runner_alive(self, runner: str) -> None:
        """``runner`` (a service process that runs upload jobs) is alive now."""
        now = time.time()
        with self.engine.begin() as db:
            if not db.execute(update(job_runners).where(job_runners.c.id == runner).values(seen_at=now)).rowcount:
                db.execute(insert(job_runners).values(id=runner, seen_at=now))

    def fail_orphaned_jobs(self, silent_for: float, message: str) -> int:
        """Fail the unfinished jobs whose runner has not said it was alive for ``silent_for`` seconds
        (or that name none); forget runners silent for a day. Returns how many jobs were failed."""
        now = time.time()
        live = select(job_runners.c.id).where(job_runners.c.seen_at >= now - silent_for)
        unfinished = ingest_jobs.c.state.in_(("queued", "running", "loading"))
        with self.engine.begin() as db:
            failed = db.execute(update(ingest_jobs)
                                .where(unfinished, (ingest_jobs.c.runner.is_(None)) | ingest_jobs.c.runner.not_in(live))
                                .values(state="failed", stage="failed", message=message, updated_at=now)).rowcount
            db.execute(delete(job_runners).where(job_runners.c.seen_at < now - 86_400))
        return failed

    def job(self, job_id: str) -> Job | None:
        with self.engine.connect() as db:
            row = db.execute(select(ingest_jobs).where(ingest_jobs.c.id == job_id)).mappings().first()
        if row is None:
            return None
        return Job(row["id"], row["organization"], row["state"], row["stage"], row["done"], row["total"],
                   json.loads(row["files"]), row["message"], row["created_at"], row["updated_at"])

    def count_accounts(self, role: str | None = None) -> int:
        query = select(func.count()).select_from(accounts)
        if role is not None:
            query = query.where(accounts.c.role == role)
        with self.engine.connect() as db:
            return db.execute(query).scalar()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")


def check_origin(origin: str) -> str:
    """An origin as browsers send it: scheme, host and port, no path."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise AccountError(f"'{origin}' is not an origin: write scheme, host and port only, "
                           "e.g. https://intranet.example.lt")
    return f"{parts.scheme}://{parts.netloc}".lower()
