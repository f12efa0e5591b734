"""The portal's database through SQLAlchemy: users, the audit log and the regional feedback.

SQLite file by default, PostgreSQL (or any SQLAlchemy database) by changing the URL. Passwords
are kept as Argon2 hashes only. The audit log is append-only: every sign-in (success, failure,
refusal by the throttle) and every download, with the file's SHA-256 from the manifest.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

NATIONAL = "national"  # the `region` of the national team's accounts
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# What a regional team records on a firm page: code -> French label.
ACTIONS = {
    "contacted": "entreprise contactée",
    "support": "accompagnement proposé",
    "no_difficulty": "pas de difficulté constatée",
    "already_known": "déjà connue des services",
    "other": "autre",
}
SIGN_IN, SIGN_IN_FAILED, SIGN_IN_THROTTLED, DOWNLOAD, FEEDBACK = (
    "sign_in",
    "sign_in_failed",
    "sign_in_throttled",
    "download",
    "feedback",
)

_hasher = PasswordHasher()


class StoreError(ValueError):
    """A refused account operation (bad e-mail, short password, unknown user...)."""


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "portal_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    region: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changed by a password reset or a disabling: older session cookies stop being valid.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Audit(Base):
    __tablename__ = "portal_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    event: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id"), nullable=True)
    client: Mapped[str] = mapped_column(String(64), default="", index=True)
    month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    file: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Feedback(Base):
    __tablename__ = "portal_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id"))
    email: Mapped[str] = mapped_column(String(254))
    region: Mapped[str] = mapped_column(String(16))
    siren: Mapped[str] = mapped_column(String(9), index=True)
    month: Mapped[str] = mapped_column(String(7))
    action: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Account:
    """A user as the web app sees it (no hash)."""

    id: int
    email: str
    region: str
    active: bool
    session_version: int

    @property
    def national(self) -> bool:
        return self.region == NATIONAL


def _account(user: User) -> Account:
    return Account(user.id, user.email, user.region, user.active, user.session_version)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_url(root: str) -> str:
    """The embedded default: a SQLite file under `<root>/portal/` (a folder only its owner reads:
    it holds the password hashes and the secret key)."""
    folder = Path(root) / "portal"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite:///{folder / 'portal.db'}"


class Store:
    def __init__(self, url: str):
        self.engine = create_engine(url, pool_pre_ping=True)
        Base.metadata.create_all(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # Accounts -------------------------------------------------------------------------------------
    def add_user(self, email: str, region: str, password: str) -> Account:
        email = normalise(email)
        check_password(password)
        if not region or not re.fullmatch(r"[0-9A-Za-z]{1,16}", region):
            raise StoreError(f"region must be a region code or '{NATIONAL}', got {region!r}")
        with self.session.begin() as s:
            if s.scalar(select(User).where(User.email == email)):
                raise StoreError(f"a user {email} already exists")
            user = User(
                email=email,
                region=region,
                password_hash=_hasher.hash(password),
                active=True,
                session_version=1,
                created_at=now(),
            )
            s.add(user)
            s.flush()
            return _account(user)

    def users(self) -> list[Account]:
        with self.session() as s:
            return [_account(u) for u in s.scalars(select(User).order_by(User.region, User.email))]

    def user(self, user_id: int) -> Account | None:
        with self.session() as s:
            found = s.get(User, user_id)
            return _account(found) if found else None

    def set_active(self, email: str, active: bool) -> Account:
        return self._change(email, active=active)

    def reset_password(self, email: str, password: str) -> Account:
        check_password(password)
        return self._change(email, password_hash=_hasher.hash(password), active=True)

    def end_sessions(self, email: str) -> Account:
        """Invalidate every session cookie of the account (its sign-out)."""
        return self._change(email)

    def _change(self, email: str, **values) -> Account:
        email = normalise(email)
        with self.session.begin() as s:
            user = s.scalar(select(User).where(User.email == email))
            if user is None:
                raise StoreError(f"no user {email}")
            for key, value in values.items():
                setattr(user, key, value)
            user.session_version += 1
            return _account(user)

    def authenticate(self, email: str, password: str) -> Account | None:
        """The active account with this e-mail and password, else None (same cost either way)."""
        with self.session.begin() as s:
            user = s.scalar(select(User).where(User.email == email.strip().lower()))
            stored = user.password_hash if user else DUMMY_HASH
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or not user.active:
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return _account(user)

    # Audit ----------------------------------------------------------------------------------------
    def audit(
        self,
        event: str,
        email: str,
        *,
        user_id: int | None = None,
        client: str = "",
        month: str | None = None,
        region: str | None = None,
        file: str | None = None,
        sha256: str | None = None,
    ) -> None:
        with self.session.begin() as s:
            s.add(
                Audit(
                    at=now(),
                    event=event,
                    email=email[:254],
                    user_id=user_id,
                    client=client[:64],
                    month=month,
                    region=region,
                    file=file,
                    sha256=sha256,
                )
            )

    def audit_rows(self, event: str | None = None) -> list[dict]:
        with self.session() as s:
            query = select(Audit).order_by(Audit.id)
            if event:
                query = query.where(Audit.event == event)
            return [{c.name: getattr(a, c.name) for c in Audit.__table__.columns} for a in s.scalars(query)]

    def recent_failures(self, minutes: int, *, email: str | None = None, client: str | None = None) -> int:
        """Failed sign-ins in the last `minutes` for this e-mail, or from this client address."""
        since = now() - dt.timedelta(minutes=minutes)
        query = select(func.count()).select_from(Audit).where(Audit.event == SIGN_IN_FAILED, Audit.at >= since)
        query = query.where(Audit.email == email) if email is not None else query.where(Audit.client == client)
        with self.session() as s:
            return s.scalar(query)

    # Feedback -------------------------------------------------------------------------------------
    def add_feedback(self, account: Account, region: str, siren: str, month: str, action: str, comment: str) -> None:
        if action not in ACTIONS:
            raise StoreError(f"unknown action {action!r}")
        with self.session.begin() as s:
            s.add(
                Feedback(
                    at=now(),
                    user_id=account.id,
                    email=account.email,
                    region=region,
                    siren=siren,
                    month=month,
                    action=action,
                    comment=comment.strip()[:2000],
                )
            )

    def feedback(self, *, region: str | None = None, siren: str | None = None) -> list[dict]:
        """Recorded feedback, oldest first, optionally of one region and firm."""
        with self.session() as s:
            query = select(Feedback).order_by(Feedback.id)
            if region is not None:
                query = query.where(Feedback.region == region)
            if siren is not None:
                query = query.where(Feedback.siren == siren)
            return [{c.name: getattr(f, c.name) for c in Feedback.__table__.columns} for f in s.scalars(query)]


def normalise(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise StoreError(f"not an e-mail address: {email!r}")
    return email


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise StoreError(f"a password needs at least {MIN_PASSWORD} characters")


# Verified against when the e-mail is unknown, so an unknown address costs as much as a wrong password.
DUMMY_HASH = _hasher.hash("not a password of anyone")
