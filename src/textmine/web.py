"""The passage browser: a small FastAPI app over one output folder.

Routes parse the request, call ``explore`` and ``corrections``, and render a
template or JSON. Writes (label corrections) need a token when the server listens
on anything but the loopback address.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from . import explore, taxonomy
from .corrections import save_correction
from .errors import BadInput, TextmineError

PAGE_SIZE = 50


def parse_tokens(values: list[str] | tuple[str, ...] | None = None, env: str | None = None) -> dict[str, str]:
    """Tokens as {token: name} from ``name:token`` pairs (options, then ``TEXTMINE_TOKENS``).

    >>> parse_tokens(["ana:s3cret"], "ben:other-1,cy:third-1")
    {'s3cret': 'ana', 'other-1': 'ben', 'third-1': 'cy'}
    """
    pairs = list(values or [])
    env = os.environ.get("TEXTMINE_TOKENS", "") if env is None else env
    pairs += [p for p in env.split(",") if p.strip()]
    tokens = {}
    for pair in pairs:
        name, sep, token = pair.strip().partition(":")
        if not sep or not name or len(token) < 6:
            raise BadInput(f"token {pair!r} is not name:token with a token of at least 6 characters")
        tokens[token] = name
    return tokens


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(out: Path, host: str = "127.0.0.1", tokens: dict[str, str] | None = None) -> FastAPI:
    """The browser app for output folder ``out``.

    When ``host`` is not a loopback address every write needs a token from
    ``tokens`` ({token: name}), given as ``Authorization: Bearer TOKEN`` or a
    ``token`` form field; the token's name is recorded with the correction.
    """
    out = Path(out)
    tokens = dict(tokens or {})
    needs_token = not is_loopback(host)
    if needs_token and not tokens:
        raise BadInput(f"listening on {host} needs access tokens for writes: pass --token name:token or set TEXTMINE_TOKENS")
    app = FastAPI(title="textmine passage browser", docs_url="/api/docs", redoc_url=None)
    templates = Environment(loader=PackageLoader("textmine", "templates"), autoescape=select_autoescape())
    templates.globals.update(themes=taxonomy.THEMES, factors=taxonomy.FACTORS, stages=taxonomy.STAGES, needs_token=needs_token)

    def render(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    def author(request: Request, form_token: str | None = None) -> str:
        if not needs_token:
            return "local"
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else (form_token or "")
        for token, name in tokens.items():
            if given and hmac.compare_digest(given, token):
                return name
        raise PermissionError("this server needs an access token for changes: send Authorization: Bearer TOKEN")

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput):
        if request.url.path.startswith("/api/") or request.url.path.startswith("/export"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return render("error.html", 400, message=str(exc))

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=401)
        return render("error.html", 401, message=str(exc))

    @app.exception_handler(TextmineError)
    async def other_error(request: Request, exc: TextmineError):
        return JSONResponse({"error": str(exc)}, status_code=500)

    def query(request: Request) -> dict[str, str]:
        return dict(request.query_params)

    def not_found(passage_id: str, api: bool) -> Response:
        message = f"no passage with id {passage_id!r} in the current run"
        return JSONResponse({"error": message}, status_code=404) if api else render("error.html", 404, message=message)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        params = query(request)
        filters = explore.Filters.from_query(params)
        view = explore.load_run(out)
        matches = explore.filter_passages(view.passages, filters)
        page = max(1, int(params.get("page") or 1))
        rows = matches.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].to_dict("records")
        return render(
            "index.html", filters=filters, rows=rows, total=len(matches), all_total=len(view.passages),
            page=page, pages=max(1, -(-len(matches) // PAGE_SIZE)), facets=explore.facet_values(view.passages),
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
    def passage(passage_id: str, saved: int = 0):
        view = explore.load_run(out)
        try:
            row, before, after = explore.context(view.passages, passage_id)
        except KeyError:
            return not_found(passage_id, api=False)
        previous = view.previous.get(passage_id)
        return render("passage.html", p=row, before=before, after=after, previous=previous, saved=saved,
                      title=f"Passage {passage_id}")

    @app.post("/passage/{passage_id}/labels")
    async def correct_form(passage_id: str, request: Request):
        form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(passage_id, api=False)
        who = author(request, (form.get("token") or [None])[0])
        recommendation = (form.get("recommendation") or ["false"])[0] == "true"
        changes = {
            "themes": form.get("themes", []),
            "factors": form.get("factors", []),
            "stage": (form.get("stage") or [""])[0] or None,
            "recommendation": recommendation,
            "audience": ((form.get("audience") or ["council"])[0] or "council") if recommendation else None,
        }
        save_correction(out, row.iloc[0].to_dict(), changes, author=who)
        return RedirectResponse(f"/passage/{passage_id}?saved=1", status_code=303)

    @app.get("/api/passages")
    def api_passages(request: Request):
        filters = explore.Filters.from_query(query(request))
        view = explore.load_run(out)
        matches = explore.filter_passages(view.passages, filters)
        return {"count": len(matches), "passages": explore.records(matches)}

    @app.get("/api/passages/{passage_id}")
    def api_passage(passage_id: str):
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(passage_id, api=True)
        return explore.records(row)[0]

    @app.put("/api/passages/{passage_id}/labels")
    async def api_correct(passage_id: str, request: Request):
        who = author(request)
        try:
            body = json.loads(await request.body() or b"null")
        except json.JSONDecodeError as exc:
            raise BadInput(f"the request body is not valid JSON ({exc.msg} at position {exc.pos})") from exc
        if not isinstance(body, dict):
            raise BadInput("the request body must be a JSON object such as {\"themes\": [\"working_together\"]}")
        view = explore.load_run(out)
        row = explore.find(view.passages, passage_id)
        if row.empty:
            return not_found(passage_id, api=True)
        labels = save_correction(out, row.iloc[0].to_dict(), body, author=who)
        return {"id": passage_id, **labels, "label_source": "human", "author": who}

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
