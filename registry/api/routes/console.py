"""The console's foundation: people sign in to ``/console`` with an email and a password.

- ``GET|POST /console/setup/{token}``: the one-time link ``tanji user create`` prints; sets the
  user's password (:func:`registry.crud.users.set_password`).
- ``GET|POST /console/login``, ``POST /console/logout``: a session in a cookie
  (:data:`SESSION_COOKIE`: ``Secure``, ``HttpOnly``, ``SameSite=Lax``, the ``__Host-`` prefix; only
  its hash is stored, and it expires). Failed sign-ins are rate-limited per client with the same
  buckets as failed API keys (``app.state.auth_failures``) and audited.
- ``GET /console``: who is signed in, their organisation and role; where the console's views hang.
- ``GET /console/users``: the organisation's users, for its owners.
- ``GET|POST /console/totp``: turn on the optional TOTP second factor (a QR code for an
  authenticator app; on once a code from it matches). Sign-in then asks for a fresh code.

Every form carries a CSRF token checked on its POST (403 ``csrf_failed`` otherwise): a signed-in
form the session's own token (:attr:`ConsoleSession.csrf_token`); the sign-in and setup forms,
made before any session, a random token in a ``SameSite=Strict`` cookie of their own that the form
repeats (:data:`CSRF_COOKIE`, double submit). Pages are server-rendered from ``registry/templates``
in the page languages and run no script.

Permissions: :func:`require_user_role` checks the person's role in their organisation, and a view
for some kinds of organisation checks the organisation with the API's own
:func:`registry.api.deps.require_role`, so no rule lives only in a page.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from registry.api.deps import SessionDep, client_address
from registry.api.errors import registry_error
from registry.api.ratelimit import TokenBuckets
from registry.api.routes.pages import render_page
from registry.console.nav import nav_for
from registry.crud.users import (
    SESSION_TTL,
    SignedIn,
    enable_totp,
    list_users,
    set_password,
    setup_user,
    sign_in,
    sign_out,
    signed_in,
)
from registry.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RegistryError,
)
from registry.i18n import Language, choose_language, messages
from registry.models.users import UserRole
from registry.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    new_token,
    new_totp_secret,
    totp_uri,
)
from registry.permissions import Action, allowed, check
from registry.qr import qr_png
from registry.validation import validation_error_details

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "ConsoleUser",
    "check_csrf",
    "console_page",
    "form_problem",
    "invalid_form",
    "may",
    "page_language",
    "permit",
    "redirect_to",
    "require_user_role",
    "router",
]

#: The session cookie (``__Host-``: Secure, Path=/, no Domain, so no subdomain can set it).
SESSION_COOKIE: Final = "__Host-tanji_session"
#: The pre-session CSRF cookie of the sign-in and setup forms.
CSRF_COOKIE: Final = "__Host-tanji_csrf"
CSRF_FIELD: Final = "csrf_token"
#: Console pages hold personal data: never stored by a cache.
NO_STORE: Final = "no-store"

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)

LangQuery = Annotated[str | None, Query(description="zh-Hans, zh-Hant or en")]


def _language(request: Request, lang: str | None) -> Language:
    return choose_language(lang, request.headers.get("accept-language"))


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (the first of each name)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body, max_num_fields=20).items()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def _csrf_failed() -> PermissionDeniedError:
    return PermissionDeniedError(
        "the form's CSRF token is missing or wrong: reload the page and send it again",
        code="csrf_failed",
        field=CSRF_FIELD,
    )


def _check_token(sent: str | None, expected: str | None) -> None:
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise _csrf_failed()


def _page(
    template: str, request: Request, lang: Language, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = render_page(template, request=request, lang=lang, status_code=status_code, **context)
    response.headers["Cache-Control"] = NO_STORE
    return response


def console_page(
    template: str,
    request: Request,
    user: SignedIn,
    *,
    lang: str | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A signed-in page (``template`` extends ``console_base.html``): the navigation the person
    may follow (:func:`registry.console.nav.nav_for`), who they are, and the session's CSRF token
    for its forms."""
    return _page(
        template,
        request,
        _language(request, lang),
        status_code=status_code,
        user=user.user,
        org=user.org,
        nav=nav_for(user.org.role, user.user.role),
        path=request.url.path,
        csrf_token=user.session.csrf_token,
        **context,
    )


def page_language(request: Request, lang: str | None) -> tuple[Language, dict[str, str]]:
    """The page's language (``?lang=``, else ``Accept-Language``) and its message catalogue."""
    language = _language(request, lang)
    return language, messages(language)


def may(user: SignedIn, action: Action) -> bool:
    """Whether the person may do ``action`` (a page shows a form only to those who may)."""
    return allowed(action, org_role=user.org.role, user_role=user.user.role)


def form_problem(
    exc: RegistryError, t: dict[str, str], *, area: str, field: str | None = None
) -> dict[str, Any]:
    """A refusal as a form shows it, beside the field, with its 4xx status: the area's
    catalogue sentence for its code (``console_<area>_error_<code>``) when there is one."""
    text = t.get(f"console_{area}_error_{exc.code}", exc.message)
    shown = exc.field if field is None else field
    return {"code": exc.code, "field": shown, "message": text, "status": exc.status_code}


def invalid_form(exc: ValidationError) -> InvalidInputError:
    """A form's validation error as the registry's error (the first one, as the API answers)."""
    details = validation_error_details(exc.errors())
    first = details[0] if details else {"code": "invalid_field", "message": "invalid input"}
    return InvalidInputError(
        first["message"], code=first["code"], field=first.get("field"), details=details
    )


def redirect_to(path: str, lang: Language, more: str = "") -> RedirectResponse:
    """303 to ``path`` in ``lang`` (``more``: further query, from ``&``), never cached."""
    return _to(path, lang, more)


def check_csrf(form: dict[str, str], user: SignedIn) -> None:
    """Refuse (403 ``csrf_failed``) a signed-in form whose token is not the session's."""
    _check_token(form.get(CSRF_FIELD), user.session.csrf_token)


def _anonymous_form(
    template: str, request: Request, lang: Language, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A form shown before sign-in, with the double-submit CSRF token (cookie and field)."""
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    response = _page(template, request, lang, status_code=status_code, csrf_token=token, **context)
    response.set_cookie(CSRF_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _to(path: str, lang: Language, more: str = "") -> RedirectResponse:
    response = RedirectResponse(f"{path}?lang={lang}{more}", status_code=303)
    response.headers["Cache-Control"] = NO_STORE
    return response


# -- who is signed in ---------------------------------------------------------------------------


class NotSignedInError(AuthenticationError):
    """No valid console session: a page answers with a redirect to the sign-in page."""


def current_user(request: Request, session: SessionDep) -> SignedIn:
    """The signed-in person of this request (its audit actor is set to them)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    found = signed_in(session, cookie) if cookie else None
    if found is None:
        raise NotSignedInError("sign in to the console first", code="not_signed_in")
    return found


ConsoleUser = Annotated[SignedIn, Depends(current_user)]


def require_user_role(*roles: UserRole) -> Callable[[SignedIn], SignedIn]:
    """A dependency that admits only people with one of ``roles`` in their organisation."""

    def check(user: ConsoleUser) -> SignedIn:
        if user.user.role not in roles:
            allowed = " or ".join(role.value for role in roles)
            raise PermissionDeniedError(
                f"this needs the role {allowed} in your organisation; yours is "
                f"{user.user.role.value}",
                code="forbidden_user_role",
                details=[
                    {"required_roles": [r.value for r in roles], "role": user.user.role.value}
                ],
            )
        return user

    return check


def permit(action: Action) -> Callable[[SignedIn], SignedIn]:
    """A dependency that admits the signed-in person if :mod:`registry.permissions` lets their
    organisation and their role in it do ``action``: the same rule the API checks for a key
    (:func:`registry.api.deps.permit`)."""

    def check_action(user: ConsoleUser) -> SignedIn:
        check(action, org_role=user.org.role, user_role=user.user.role)
        return user

    return check_action


OwnerUser = Annotated[SignedIn, Depends(permit(Action.USERS_MANAGE))]


def install_console(app: Any) -> None:
    """Include the router; answer :class:`NotSignedInError` with a redirect to sign in, and any
    other refusal of a console page with a page saying why (its status, code and field), not
    JSON. A script's request (htmx, ``fetch`` asking for JSON) keeps the API's JSON body."""

    async def to_login(request: Request, exc: Exception) -> Response:
        return _to("/console/login", _language(request, request.query_params.get("lang")))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        wants_page = (
            request.url.path.startswith("/console")
            and "text/html" in request.headers.get("accept", "")
            and "hx-request" not in request.headers
        )
        if not wants_page:
            return await registry_error(request, exc)
        language = _language(request, request.query_params.get("lang"))
        page = _page(
            "console_error.html", request, language, status_code=exc.status_code, error=exc
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            page.headers["Retry-After"] = str(retry_after)
        return page

    app.add_exception_handler(NotSignedInError, to_login)
    app.add_exception_handler(RegistryError, refused)
    app.include_router(router)


# -- setup link ---------------------------------------------------------------------------------


def _link_problem(exc: NotFoundError | ConflictError, t: dict[str, str]) -> tuple[int, str]:
    if exc.code == "setup_link_used":
        return 410, t["console_link_used"]
    if exc.code == "setup_link_expired":
        return 410, t["console_link_expired"]
    return 404, t["console_link_invalid"]


def _setup_form(request: Request, lang: Language, token: str, email: str | None, **kw: Any) -> Any:
    return _anonymous_form(
        "console_setup.html",
        request,
        lang,
        token=token,
        email=email,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        **{"error": None, **kw},
    )


@router.get("/setup/{token}", response_class=HTMLResponse)
def setup_page(token: str, request: Request, session: SessionDep, lang: LangQuery = None) -> Any:
    language = _language(request, lang)
    try:
        _, user = setup_user(session, token)
    except (NotFoundError, ConflictError) as exc:
        status, text = _link_problem(exc, messages(language))
        return _setup_form(request, language, token, None, error=text, status_code=status)
    return _setup_form(request, language, token, user.email)


@router.post("/setup/{token}", response_class=HTMLResponse)
def setup_submit(
    token: str, request: Request, session: SessionDep, form: FormFields, lang: LangQuery = None
) -> Any:
    language = _language(request, lang)
    t = messages(language)
    _check_token(form.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE))
    password = form.get("password", "")
    try:
        _, user = setup_user(session, token)
        if password != form.get("password_again", ""):
            return _setup_form(
                request,
                language,
                token,
                user.email,
                error=t["console_passwords_differ"],
                status_code=422,
            )
        set_password(session, token=token, password=password)
    except (NotFoundError, ConflictError) as exc:
        status, text = _link_problem(exc, t)
        return _setup_form(request, language, token, None, error=text, status_code=status)
    except InvalidInputError:
        text = t["console_password_rules"].format(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)
        return _setup_form(request, language, token, user.email, error=text, status_code=422)
    return _to("/console/login", language, "&done=1")


# -- sign in and out ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, lang: LangQuery = None, done: str | None = None) -> Any:
    language = _language(request, lang)
    notice = messages(language)["console_password_set"] if done else None
    return _anonymous_form(
        "console_login.html", request, language, email="", error=None, notice=notice
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request, session: SessionDep, form: FormFields, lang: LangQuery = None
) -> Any:
    language = _language(request, lang)
    t = messages(language)
    _check_token(form.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE))
    email = form.get("email", "")
    limiter: TokenBuckets = request.app.state.auth_failures
    client = client_address(request)

    def again(error: str, status: int) -> HTMLResponse:
        return _anonymous_form(
            "console_login.html",
            request,
            language,
            status_code=status,
            email=email,
            error=error,
            notice=None,
        )

    try:
        limiter.check(client)
        _, cookie = sign_in(
            session, email=email, password=form.get("password", ""), code=form.get("code", "")
        )
    except RateLimitedError as exc:
        refused = again(t["console_rate_limited"].format(seconds=exc.retry_after), 429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except AuthenticationError:
        limiter.spend(client)
        return again(t["console_login_failed"], 401)
    response = _to("/console", language)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    sign_out(session, user)
    response = _to("/console/login", _language(request, lang))
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


# -- the console --------------------------------------------------------------------------------


def _home(request: Request, lang: str | None, user: SignedIn, users: Any) -> HTMLResponse:
    return console_page("console_home.html", request, user, lang=lang, users=users)


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: ConsoleUser, lang: LangQuery = None) -> HTMLResponse:
    return _home(request, lang, user, None)


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, session: SessionDep, user: OwnerUser, lang: LangQuery = None
) -> HTMLResponse:
    return _home(request, lang, user, list_users(session, org_id=user.org.id))


# -- second factor ------------------------------------------------------------------------------


def _totp_page(
    request: Request, lang: Language, user: SignedIn, secret: str, *, error: str | None = None
) -> HTMLResponse:
    uri = totp_uri(secret, user.user.email)
    qr = "data:image/png;base64," + base64.b64encode(qr_png(uri, box_size=4)).decode("ascii")
    return _page(
        "console_totp.html",
        request,
        lang,
        status_code=200 if error is None else 422,
        secret=secret,
        qr_data_uri=qr,
        error=error,
        csrf_token=user.session.csrf_token,
    )


@router.get("/totp", response_class=HTMLResponse)
def totp_page(request: Request, user: ConsoleUser, lang: LangQuery = None) -> HTMLResponse:
    return _totp_page(request, _language(request, lang), user, new_totp_secret())


@router.post("/totp", response_class=HTMLResponse)
def totp_submit(
    request: Request,
    session: SessionDep,
    user: ConsoleUser,
    form: FormFields,
    lang: LangQuery = None,
) -> Response:
    check_csrf(form, user)
    language = _language(request, lang)
    secret = form.get("secret", "")
    try:
        enable_totp(session, user, secret=secret, code=form.get("code", ""))
    except InvalidInputError:
        error = messages(language)["console_totp_wrong"]
        return _totp_page(request, language, user, secret or new_totp_secret(), error=error)
    return _to("/console", language)
