"""The passage browser: a small FastAPI app over one output folder.

Routes parse the request, call ``explore``, ``corrections`` and ``audit``, and
render a template or JSON. Every request first passes ``guard.check_request`` (Host,
Origin and Referer checks against cross-site writes and DNS rebinding); the
correction and audit forms carry a CSRF token tied to a ``SameSite=Strict`` session
cookie; writes need a token when the server listens on anything but the
loopback address. A bad request is a 4xx with a one-line message and writes
nothing.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from . import audit, explore, taxonomy
from .corrections import save_correction
from .errors import BadInput, TextmineError
from .guard import DEFAULT_PORT, Site, check_request, form_token, is_loopback, new_session, same_secret

PAGE_SIZE = 50
MAX_BODY = 64 * 1024  # bytes; a correction is a few hundred
SESSION_COOKIE = "textmine_session"


class Refused(TextmineError):
    """A request the browser will not serve, with the HTTP status to answer (401, 403, 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_tokens(values: list[str] | tuple[str, ...] | None = None, env: str | None = None) -> dict[str, str]:
    """Tokens as {token: name} from ``name:token`` pairs (options, then ``TEXTMINE_TOKENS``).

    A message about a bad pair names it by its number, never by its text, so a
    secret is never printed. The same secret under two names is refused.

    >>> parse_tokens(["ana:s3cret"], "ben:other-1,cy:third-1")
    {'s3cret': 'ana', 'other-1': 'ben', 'third-1': 'cy'}
    """
    pairs = [(p, "--token") for p in values or []]
    env = os.environ.get("TEXTMINE_TOKENS", "") if env is None else env
    pairs += [(p, "TEXTMINE_TOKENS") for p in env.split(",") if p.strip()]
    tokens: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for number, (pair, origin) in enumerate(pairs, start=1):
        name, sep, token = pair.strip().partition(":")
        name = name.strip()
        if not sep or not name or len(token) < 6:
            raise BadInput(f"token #{number} (from {origin}) is not name:token with a token of at least 6 characters")
        if not token.isascii() or not token.isprintable() or " " in token:
            raise BadInput(f"token #{number} (from {origin}, name {name!r}) must be printable ASCII without spaces: "
                           "it is sent in an HTTP header")
        if token in tokens:
            raise BadInput(f"tokens #{numbers[token]} and #{number} are the same secret (names {tokens[token]!r} and "
                           f"{name!r}): give each person their own token")
        tokens[token], numbers[token] = name, number
    return tokens


async def read_body(request: Request, limit: int = MAX_BODY) -> str:
    """The request body as text: at most ``limit`` bytes of UTF-8, or a 4xx naming the problem."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the request body ({int(declared):,} bytes) is larger than the {limit:,} bytes a correction may take")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, f"the request body is larger than the {limit:,} bytes a correction may take")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"the request body is not UTF-8 text (byte 0x{body[exc.start]:02x} at position {exc.start})") from exc


def parse_json(text: str):
    """The JSON value of a request body, or BadInput saying what is wrong with it."""
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise BadInput(f"the request body is not valid JSON ({exc.msg} at position {exc.pos})") from exc
    except ValueError as exc:  # a number of more digits than Python converts
        raise BadInput(f"the request body holds a value that cannot be read ({exc})") from exc
    except RecursionError as exc:
        raise BadInput("the request body is JSON nested too deeply: a correction is one flat object") from exc


def form_labels(form: dict[str, list[str]]) -> dict:
    """The full label set a correction or audit form gives (an unticked box is "no"); the audience only of a recommendation.

    >>> form_labels({"themes": ["working_together"], "stage": [""], "recommendation": ["true"]})
    {'themes': ['working_together'], 'factors': [], 'stage': None, 'recommendation': True, 'audience': 'council'}
    """
    recommendation = (form.get("recommendation") or ["false"])[0] == "true"
    return {
        "themes": form.get("themes", []),
        "factors": form.get("factors", []),
        "stage": (form.get("stage") or [""])[0] or None,
        "recommendation": recommendation,
        "audience": ((form.get("audience") or ["council"])[0] or "council") if recommendation else None,
    }


def create_app(out: Path, host: str = "127.0.0.1", tokens: dict[str, str] | None = None, port: int = DEFAULT_PORT,
               allow_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The browser app for output folder ``out``, served at ``host:port``.

    Requests whose Host header is not this server (``host:port``, its loopback
    aliases, or one of ``allow_hosts``) are refused, and so are writes from
    another site's pages (see ``guard``). When ``host`` is not a loopback
    address every write needs a token from ``tokens`` ({token: name}), given as
    ``Authorization: Bearer TOKEN`` or a ``token`` form field; the token's name
    is recorded with the correction.
    """
    out = Path(out)
    site = Site(host, port, tuple(allow_hosts))
    tokens = dict(tokens or {})
    needs_token = not is_loopback(host)
    if needs_token and not tokens:
        raise BadInput(f"listening on {host} needs access tokens for writes: pass --token name:token or set TEXTMINE_TOKENS")
    secret = secrets.token_bytes(32)  # signs the forms' CSRF tokens; never leaves this process
    app = FastAPI(title="textmine passage browser", docs_url="/api/docs", redoc_url=None)
    templates = Environment(loader=PackageLoader("textmine", "templates"), autoescape=select_autoescape())
    templates.globals.update(themes=taxonomy.THEMES, factors=taxonomy.FACTORS, stages=taxonomy.STAGES, needs_token=needs_token)

    def render(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    def error(request: Request, status: int, message: str) -> Response:
        """One line for the client: JSON for the API and the exports, a page for the rest."""
        if request.url.path.startswith(("/api/", "/export")):
            return JSONResponse({"error": message}, status_code=status)
        return render("error.html", status, message=message, title="Error")

    def author(request: Request, typed: str | None = None) -> str:
        """The name of the access token sent (as a bearer header, or ``typed`` into the form)."""
        if not needs_token:
            return "local"
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else (typed or "")
        names = [name for token, name in tokens.items() if same_secret(given, token)]
        if not given or not names:
            raise Refused(401, "this server needs an access token for changes: send Authorization: Bearer TOKEN")
        return names[0]

    @app.middleware("http")
    async def refuse_other_sites(request: Request, call_next):
        refusal = check_request(site, request.method, {k.lower(): v for k, v in request.headers.items()})
        if refusal is not None:
            return error(request, refusal.status, refusal.reason)
        return await call_next(request)

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput):
        return error(request, 400, str(exc))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return error(request, exc.status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        where = " ".join(str(part) for part in first.get("loc", ()))
        return error(request, 400, f"bad {where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(TextmineError)
    async def other_error(request: Request, exc: TextmineError):
        return error(request, 500, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # the server's log gets the traceback (Starlette re-raises after this response)
        return error(request, 500, f"the browser hit an unexpected error ({type(exc).__name__}); the server's log has the details")

    def query(request: Request) -> dict[str, str]:
        return dict(request.query_params)

    def not_found(request: Request, passage_id: str) -> Response:
        return error(request, 404, f"no passage with id {passage_id!r} in the current run")

    def with_session(request: Request, name: str, **context) -> HTMLResponse:
        """A page with a form: its CSRF token tied to the session cookie (set here when the browser has none)."""
        session = request.cookies.get(SESSION_COOKIE) or new_session()
        response = render(name, csrf=form_token(secret, session), **context)
        if session != request.cookies.get(SESSION_COOKIE):
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        return response

    async def checked_form(request: Request) -> tuple[dict[str, list[str]], str]:
        """The fields of a posted form, once its CSRF token is checked, and who sent it."""
        form = parse_qs(await read_body(request), keep_blank_values=True)
        session = request.cookies.get(SESSION_COOKIE)
        if not session or not same_secret((form.get("csrf") or [""])[0], form_token(secret, session)):
            raise Refused(403, "this form is out of date or came from another page: open the page again and save from there")
        return form, author(request, (form.get("token") or [None])[0])

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        params = query(request)
        filters = explore.Filters.from_query(params)
        view = explore.load_run(out)
        matches = explore.filter_passages(view.passages, filters)
        pages = max(1, -(-len(matches) // PAGE_SIZE))
        page = explore.page_number(params.get("page"), pages)
        rows = matches.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].to_dict("records")
        return render(
            "index.html", filters=filters, rows=rows, total=len(matches), all_total=len(view.passages),
            page=page, pages=pages, facets=explore.facet_values(view.passages),
            query=urlencode(filters.query()), title="Passages",
        )

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request):
        params = query(request)
        order = params.get("order") or "certainty"
        filters = explore.Filters.from_query(params)
        view = explore.load_run(out)
        rows = explore.review_queue(view, explore.filter_passages(view.passages, filters), order).head(PAGE_SIZE)
        return render("queue.html", rows=rows.to_dict("records"), order=order, has_previous=bool(view.previous),
                      filters=filters, query=urlencode(filters.query()), title="Review queue")

    @app.get("/passage/{passage_id}", response_class=HTMLResponse)
    def passage(passage_id: str, request: Request, saved: int = 0):
        view = explore.load_run(out)
        try:
            row, before, after = explore.context(view.passages, passage_id)
        except KeyError:
            return not_found(request, passage_id)
        return with_session(request, "passage.html", p=row, before=before, after=after,
                            previous=view.previous.get(passage_id), saved=saved, title=f"Passage {passage_id}")

    @app.post("/passage/{passage_id}/labels")
    async def correct_form(passage_id: str, request: Request):
        form, who = await checked_form(request)
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(request, passage_id)
        save_correction(out, row.iloc[0].to_dict(), form_labels(form), author=who)
        return RedirectResponse(f"/passage/{passage_id}?saved=1", status_code=303)

    @app.get("/api/passages")
    def api_passages(request: Request):
        filters = explore.Filters.from_query(query(request))
        view = explore.load_run(out)
        matches = explore.filter_passages(view.passages, filters)
        return {"count": len(matches), "passages": explore.records(matches)}

    @app.get("/api/passages/{passage_id}")
    def api_passage(passage_id: str, request: Request):
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(request, passage_id)
        return explore.records(row)[0]

    @app.put("/api/passages/{passage_id}/labels")
    async def api_correct(passage_id: str, request: Request):
        who = author(request)
        body = parse_json(await read_body(request))
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object such as {\"themes\": [\"working_together\"]}")
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(request, passage_id)
        labels = save_correction(out, row.iloc[0].to_dict(), body, author=who)
        return {"id": passage_id, **labels, "label_source": "human", "author": who}

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, answered: str | None = None, id: str | None = None):  # noqa: A002 (the query name)
        """The sample one passage at a time: the next unanswered (or ``id``), blind; ``answered`` shown beside the model."""
        sample, passages = audit.current_audit(out)
        if id is not None and id not in sample.ids:
            raise BadInput(f"passage {id!r} is not in the audit sample of the current run")
        shown = id or sample.next_unanswered()
        return with_session(
            request, "audit.html", audit=sample, p=passages.get(shown), position=sample.ids.index(shown) + 1 if shown else 0,
            answer=sample.answers.get(shown, audit.BLANK), answered=passages.get(answered) if answered in sample.answers else None,
            answered_labels=sample.answers.get(answered), start=audit.START.format(out=out), title="Audit",
        )

    @app.post("/audit/{passage_id}")
    async def audit_form(passage_id: str, request: Request):
        form, who = await checked_form(request)
        sample, passages = audit.current_audit(out)
        audit.save_answer(out, sample, passages, passage_id, form_labels(form), author=who)
        return RedirectResponse(f"/audit?answered={quote(passage_id)}", status_code=303)

    @app.get("/api/audit")
    def api_audit():
        """The sample, blind (without the model's labels), with the answers so far."""
        sample, passages = audit.current_audit(out)
        return {"size": sample.size, "done": sample.done, "seed": sample.seed, "vanished": sample.vanished,
                "passages": audit.sample_records(sample, passages, with_model=False)}

    @app.put("/api/audit/{passage_id}")
    async def api_audit_answer(passage_id: str, request: Request):
        who = author(request)
        body = parse_json(await read_body(request))
        sample, passages = audit.current_audit(out)
        labels = audit.save_answer(out, sample, passages, passage_id, body, author=who, origin="api")
        return {"id": passage_id, **labels, "author": who, "progress": audit.current_audit(out)[0].progress()}

    def export(request: Request, kind: str) -> Response:
        filters = explore.Filters.from_query(query(request))
        view = explore.load_run(out)
        matches = explore.filter_passages(view.passages, filters)
        if kind == "csv":
            body, media = explore.to_csv(matches), "text/csv; charset=utf-8"
        elif kind == "xlsx":
            body, media = explore.to_xlsx(matches), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            from .qdpx import passages_to_qdpx

            body, media = passages_to_qdpx(explore.records(matches), title=f"textmine export of {out.name}"), "application/zip"
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="passages.{kind}"'})

    @app.get("/export.csv")
    def export_csv(request: Request):
        return export(request, "csv")

    @app.get("/export.xlsx")
    def export_xlsx(request: Request):
        return export(request, "xlsx")

    @app.get("/export.qdpx")
    def export_qdpx(request: Request):
        return export(request, "qdpx")

    return app
