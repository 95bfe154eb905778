"""Path and query parameters of the API carry text: a control character in one (NUL above all,
which PostgreSQL refuses in any text parameter: a 500) is a 422 naming the parameter, before the
route reads it. Nothing a person or a system legitimately sends has one, and every route's
parameters are covered at once instead of one type annotation at a time. (The pages check their
own ids: an impossible one is a 404 page there.)"""

import re

from fastapi import Depends, FastAPI, Request

from api.problems import Problem

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(request: Request) -> None:
    if not request.url.path.startswith("/api/"):
        return
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if CONTROL.search(str(value)) or CONTROL.search(name):
            field = name if not CONTROL.search(name) else "query"
            raise Problem(422, f"{field} holds a control character (such as NUL): send text", field=field)


def install(app: FastAPI) -> None:
    """For the routes included after this (all of them: create_app installs it first)."""
    app.router.dependencies.append(Depends(refuse_control_characters))
