"""The portal's web application (Starlette + Jinja2, served by uvicorn).

Isolation first: a regional account reaches only its region's folders, lists and firms; anything
else, whether it exists or not, is the same 404 page. Sessions are signed cookies (HttpOnly,
SameSite=Strict, with an expiry) that name the account and its session version, so disabling an
account or resetting its password ends its sessions. Every form carries a CSRF token that must
match a signed cookie (double submit). No JavaScript, no Spark.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from signaux_spark.config import Settings
from signaux_spark.export.labels import number, signed
from signaux_spark.export.published import NATIONAL as NATIONAL_FOLDER
from signaux_spark.months import is_month
from signaux_spark.portal import store as db
from signaux_spark.portal.exports import Exports, Tampered
from signaux_spark.portal.listing import firm_view, month_view

HERE = Path(__file__).resolve().parent
SESSION, CSRF = "portal_session", "portal_csrf"
CLIENT_FACTOR = 4  # one client address may fail this many times more than one account before the throttle
# Argon2 checks at once (each takes tens of MiB and a core for a while): a burst of sign-ins queues
# instead of exhausting memory and starving the pages.
PASSWORD_CHECKS = max(1, os.cpu_count() or 1)
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}


def secret_key(path: Path) -> str:
    """The cookie-signing key, made once (readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def portal_paths(settings: Settings) -> tuple[str, str, Path]:
    """(exports folder, database URL, secret key file) from the settings and their defaults."""
    conf = settings.portal
    root = Path(settings.path("root"))
    exports = conf.exports and str((root / conf.exports) if not os.path.isabs(conf.exports) else conf.exports)
    secret = Path(conf.secret_file) if conf.secret_file else root / "portal" / "secret.key"
    if not secret.is_absolute():
        secret = root / secret
    return exports or settings.path("exports"), conf.database_url or db.default_url(str(root)), secret


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI: no per-request task)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        await self.app(scope, receive, sending)


def create_app(settings: Settings) -> Starlette:
    exports_root, url, secret_file = portal_paths(settings)
    conf = settings.portal
    store = db.Store(url)
    exports = Exports(exports_root)
    signer = URLSafeTimedSerializer(secret_key(secret_file), salt="portal-session")
    csrf_signer = URLSafeTimedSerializer(secret_key(secret_file), salt="portal-csrf")
    lifetime = int(conf.session_hours * 3600)
    password_checks = anyio.CapacityLimiter(PASSWORD_CHECKS)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(number=number, signed=signed)

    def client(request: Request) -> str:
        return request.client.host if request.client else ""

    def account(request: Request) -> db.Account | None:
        try:
            data = signer.loads(request.cookies.get(SESSION, ""), max_age=lifetime)
        except BadSignature:
            return None
        found = store.user(int(data.get("u", 0))) if isinstance(data, dict) else None
        if found is None or not found.active or found.session_version != data.get("v"):
            return None
        return found

    def csrf_token(request: Request) -> str:
        try:
            return csrf_signer.loads(request.cookies.get(CSRF, ""), max_age=lifetime)
        except BadSignature:
            return ""

    def render(request: Request, name: str, context: dict, status: int = 200) -> Response:
        token = csrf_token(request) or secrets.token_urlsafe(24)
        response = templates.TemplateResponse(request, name, {**context, "csrf": token}, status_code=status)
        if csrf_token(request) != token:
            set_cookie(response, CSRF, csrf_signer.dumps(token))
        return response

    def set_cookie(response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name, value, max_age=lifetime, httponly=True, samesite="strict", secure=conf.secure_cookies, path="/"
        )

    async def checked_form(request: Request) -> dict:
        """The posted form, once its CSRF token matches the signed cookie (else 403)."""
        form = await request.form()
        expected, given = csrf_token(request), str(form.get("csrf", ""))
        if not expected or not hmac.compare_digest(expected, given):
            raise HTTPException(403, "Le formulaire a expiré : rechargez la page et recommencez.")
        return {k: str(v) for k, v in form.items()}

    def signed_in(request: Request) -> db.Account:
        user = account(request)
        if user is None:
            raise HTTPException(303, headers={"location": "/connexion"})
        return user

    def region_allowed(user: db.Account, region: str) -> bool:
        return user.national or region == user.region

    def not_found() -> HTTPException:
        return HTTPException(404)

    # Pages ----------------------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        return RedirectResponse("/mois" if account(request) else "/connexion", 303)

    async def sign_in_page(request: Request) -> Response:
        return render(request, "login.html", {"user": None, "error": ""})

    async def sign_in(request: Request) -> Response:
        form = await checked_form(request)
        email, password = form.get("email", "").strip().lower()[:254], form.get("password", "")
        address = client(request)
        by_email = await run_in_threadpool(store.recent_failures, conf.throttle_minutes, email=email)
        by_client = await run_in_threadpool(store.recent_failures, conf.throttle_minutes, client=address)
        if by_email >= conf.max_failures or by_client >= conf.max_failures * CLIENT_FACTOR:
            store.audit(db.SIGN_IN_THROTTLED, email, client=address)
            return render(
                request,
                "login.html",
                {
                    "user": None,
                    "error": (f"Trop de tentatives infructueuses : réessayez dans {conf.throttle_minutes} minutes."),
                },
                429,
            )
        user = await anyio.to_thread.run_sync(store.authenticate, email, password, limiter=password_checks)
        if user is None:
            store.audit(db.SIGN_IN_FAILED, email, client=address)
            return render(request, "login.html", {"user": None, "error": "Adresse ou mot de passe incorrect."}, 401)
        store.audit(db.SIGN_IN, user.email, user_id=user.id, client=address)
        response = RedirectResponse("/mois", 303)
        set_cookie(response, SESSION, signer.dumps({"u": user.id, "v": user.session_version}))
        set_cookie(response, CSRF, csrf_signer.dumps(secrets.token_urlsafe(24)))
        return response

    async def sign_out(request: Request) -> Response:
        await checked_form(request)
        user = account(request)
        if user is not None:  # a copy of the cookie kept elsewhere stops working too
            store.end_sessions(user.email)
        response = RedirectResponse("/connexion", 303)
        response.delete_cookie(SESSION, path="/")
        return response

    async def months(request: Request) -> Response:
        user = signed_in(request)
        shown = [m for m in exports.months() if user.national or user.region in exports.regions(m)]
        return render(request, "months.html", {"user": user, "months": list(reversed(shown))})

    async def month(request: Request) -> Response:
        user = signed_in(request)
        month = request.path_params["month"]
        if not is_month(month):
            raise not_found()
        if not user.national:
            if exports.publication(month, user.region) is None:
                raise not_found()
            return RedirectResponse(f"/mois/{month}/{user.region}", 303)
        national = exports.publication(month, NATIONAL_FOLDER)
        if national is None:
            raise not_found()
        return render(
            request,
            "national.html",
            {
                "user": user,
                "month": month,
                "manifest": national.manifest,
                "regions": exports.regions(month),
                "summary": national.summary(),
                "region": NATIONAL_FOLDER,
            },
        )

    async def region_month(request: Request) -> Response:
        user = signed_in(request)
        month, region = request.path_params["month"], request.path_params["region"]
        if region == NATIONAL_FOLDER or not region_allowed(user, region) or not is_month(month):
            raise not_found()
        found = exports.publication(month, region)
        document = None if found is None else found.document()
        if document is None:
            raise not_found()
        view = month_view(document, request.query_params)
        return render(
            request,
            "month.html",
            {
                "user": user,
                "month": month,
                "region": region,
                "manifest": found.manifest,
                "view": view,
                "summary": found.summary(),
                "query": lambda **changes: query(request, changes),
            },
        )

    async def download(request: Request) -> Response:
        user = signed_in(request)
        month, region, name = (request.path_params[k] for k in ("month", "region", "name"))
        if not is_month(month) or not region_allowed(user, region):
            raise not_found()
        publication = exports.publication(month, region)
        if publication is None:
            raise not_found()
        try:
            found = await run_in_threadpool(publication.download, name)
        except Tampered:
            raise HTTPException(
                500, "Ce fichier ne correspond plus à son manifeste : il n'est pas envoyé. Prévenez l'équipe nationale."
            ) from None
        if found is None:
            raise not_found()
        store.audit(
            db.DOWNLOAD,
            user.email,
            user_id=user.id,
            client=client(request),
            month=month,
            region=region,
            file=found.name,
            sha256=found.sha256,
        )
        return Response(
            found.data,
            media_type=MEDIA.get(Path(found.name).suffix, "application/octet-stream"),
            headers={"content-disposition": f'attachment; filename="{found.name}"', "x-content-sha256": found.sha256},
        )

    async def firm(request: Request) -> Response:
        user = signed_in(request)
        region, siren = request.path_params["region"], request.path_params["siren"]
        if region == NATIONAL_FOLDER or not region_allowed(user, region):
            raise not_found()
        history = exports.firm_history(region, siren)
        if not history:
            raise not_found()
        message = ""
        if request.method == "POST":
            form = await checked_form(request)
            if user.national:
                raise not_found()
            if form.get("action") not in db.ACTIONS:
                message = "Choisissez ce qui a été fait."
            else:
                store.add_feedback(user, region, siren, history[-1]["month"], form["action"], form.get("comment", ""))
                store.audit(
                    db.FEEDBACK,
                    user.email,
                    user_id=user.id,
                    client=client(request),
                    month=history[-1]["month"],
                    region=region,
                )
                return RedirectResponse(f"/entreprise/{region}/{siren}?enregistre=1", 303)
        return render(
            request,
            "firm.html",
            {
                "user": user,
                "region": region,
                "view": firm_view(history),
                "actions": db.ACTIONS,
                "feedback": store.feedback(region=region, siren=siren),
                "message": message,
                "saved": request.query_params.get("enregistre") == "1",
            },
            400 if message else 200,
        )

    async def error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["location"], 303)
        detail = "Page introuvable." if exc.status_code == 404 else exc.detail  # one answer for every missing page
        return render(
            request,
            "error.html",
            {"user": account(request), "status": exc.status_code, "detail": detail},
            exc.status_code,
        )

    routes = [
        Route("/", home),
        Route("/connexion", sign_in_page, methods=["GET"]),
        Route("/connexion", sign_in, methods=["POST"]),
        Route("/deconnexion", sign_out, methods=["POST"]),
        Route("/mois", months),
        Route("/mois/{month}", month),
        Route("/mois/{month}/{region}", region_month),
        Route("/mois/{month}/{region}/fichiers/{name}", download),
        Route("/entreprise/{region}/{siren}", firm, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: error, 404: error, 405: error})
    app.state.store, app.state.exports = store, exports
    return SecurityHeaders(app)


def query(request: Request, changes: dict) -> str:
    """The current page's query string with some parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.items()}
    params.update({k: v for k, v in changes.items() if v is not None})
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
    return "?" + urlencode(params)
