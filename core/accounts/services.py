"""Sign-up, log-in, sessions and e-mail verification."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import runtime, security
from core.accounts.errors import EmailTaken, InvalidCredentials, WeakPassword
from core.accounts.models import Account, Role, Session, User
from core.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from core.jobs import services as jobs
from core.notifications import services as mail
from core.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 would hash a megabyte; nobody's password is that long
SESSION_TOKEN_PREFIX = "pxs"
VERIFY_PURPOSE = "verify-email"


def visible_accounts(user: User | None):
    return rows_visible_to(user, Account, "id")


def visible_users(user: User | None):
    return rows_visible_to(user, User)


def normalize_email(raw: str, field: str = "email") -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(f"That is not a valid e-mail address: {exc}", field=field) from None


def check_password(password: str, email: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters.", field=field)
    if len(set(password)) < 5:
        raise WeakPassword("Use more different characters.", field=field)
    local = email.split("@", 1)[0]
    if len(local) >= 4 and local in password.lower():
        raise WeakPassword("Do not use your e-mail address in your password.", field=field)


async def create_account(email: str, password: str, name: str) -> tuple[User, str]:
    """A new account with its owner, signed in; the welcome mail is queued."""
    errors: list[DomainError] = []
    name = name.strip()
    if not name:
        errors.append(DomainError("Tell us your name.", field="name", code=ErrorCode.REQUIRED))
    elif len(name) > 200:
        errors.append(DomainError("Use at most 200 characters.", field="name"))
    try:
        email = normalize_email(email)
        check_password(password, email)
    except DomainError as exc:
        errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationFailed(errors)
    if await User.exists(email=email):
        raise EmailTaken("An account with this e-mail already exists; log in instead.", field="email")

    password_hash = security.hash_password(password)
    try:
        async with in_transaction():
            account = await Account.create(name=name)
            user = await User.create(account=account, email=email, name=name, password_hash=password_hash, role=Role.OWNER)
            token = await _new_session(user)
            job = await jobs.create("mail.welcome", {"user_id": user.id}, account_id=account.id)
    except IntegrityError:  # two sign-ups with one address at the same moment
        raise EmailTaken("An account with this e-mail already exists; log in instead.", field="email") from None
    await jobs.enqueue(job)  # after commit, so the worker finds the rows
    return user, token


async def set_role(email: str, role: Role) -> User:
    """An operator's act (``pixport user-role``), never the API's: e.g. make a user
    production staff (a retoucher)."""
    user = await User.get_or_none(email=normalize_email(email))
    if user is None:
        raise NotFound(f"No user has the e-mail address {email}.", field="email")
    if user.role != role:
        user.role = role
        await user.save(update_fields=["role"])
    return user


async def log_in(email: str, password: str) -> tuple[User, str]:
    try:
        email = normalize_email(email)
    except DomainError:
        email = ""
    user = await User.get_or_none(email=email) if email else None
    # verify_password hashes even for an unknown user, so timing tells nothing
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidCredentials("Wrong e-mail or password.", field="password")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user, await _new_session(user)


async def _new_session(user: User) -> str:
    token = security.new_token(SESSION_TOKEN_PREFIX)
    ttl = timedelta(hours=runtime.current().settings.session_ttl_hours)
    await Session.create(user=user, token_hash=security.hash_token(token), expires_at=utcnow() + ttl)
    return token


async def user_for_token(token: str | None) -> User | None:
    """The user a bearer token belongs to, or None (unknown, expired, logged out)."""
    if not token or not token.startswith(SESSION_TOKEN_PREFIX + "_") or len(token) > 100:
        return None
    session = (
        await Session.filter(token_hash=security.hash_token(token), expires_at__gt=utcnow())
        .select_related("user")
        .first()
    )
    return session.user if session else None


async def log_out(token: str) -> bool:
    return bool(await Session.filter(token_hash=security.hash_token(token)).delete())


def verification_link(user: User) -> str:
    rt = runtime.current()
    token = security.sign(rt.settings.signing_key, VERIFY_PURPOSE, str(user.id), timedelta(days=7), email=user.email)
    return f"{rt.settings.public_url.rstrip('/')}/app/#verifyEmail={token}"


async def verify_email(token: str) -> User:
    claims = security.unsign(runtime.current().settings.signing_key, VERIFY_PURPOSE, token)
    user = await User.get_or_none(id=int(claims["sub"])) if claims else None
    if user is None or user.email != claims.get("email"):
        raise DomainError("This link is invalid or has expired.", field="token", code=ErrorCode.EXPIRED)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await user.save(update_fields=["email_verified_at"])
    return user


async def send_welcome_mail(user_id: int) -> None:
    user = await User.get_or_none(id=user_id).select_related("account")
    if user is None:
        return  # the account was deleted before the mail went out
    await mail.send(
        user.email, "welcome", name=user.name, account_name=user.account.name, verify_url=verification_link(user)
    )
