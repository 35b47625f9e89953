"""The access test generated from the URL resolver and the API schema (not a hand-kept list).

For every route that takes an object id (in its path or, where the view declares it, in its body), each of the
seven probe roles tries the victim's object with every method the route takes. Accepted: a 2xx only where the
route's declared rule (accounts/policy/routes.py) allows that role; otherwise a refusal (401, 403, 404, or the
log-in redirect for anonymous pages) with exactly one `denied` audit row, and none of the victim's data in the
body. A 405 says nothing about the object and writes nothing. No 5xx anywhere. A route without a declared rule
fails `test_every_route_declares_its_access_rule`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import AuditEvent
from accounts.policy import ROUTE_RULES, declared

from .access_world import DEFAULT_KINDS, MARKERS, PROBE_ROLES, build

SKIP_PREFIXES = ("admin/", "accounts/", "i18n/", "api/schema/", "api/docs/", "api/redoc/", "static/")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    template: str            # "api/consult/appointments/<int:appointment_id>/"
    name: str
    callback: Any
    kwargs: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "") -> list[Route]:
    routes: list[Route] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            routes += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            template = prefix + str(p.pattern)
            routes.append(Route(template, p.name or "", p.callback,
                                tuple(re.findall(r"<(?:\w+:)?(\w+)>", template))))
    return routes


def platform_routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if not r.template.startswith(SKIP_PREFIXES)]


def _methods(route: Route) -> list[str]:
    cls = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
    if cls is not None:
        return [m for m in METHODS if hasattr(cls, m)]
    return ["get", "post"]


def _is_api(route: Route) -> bool:
    return route.template.startswith(("api/", "fhir/"))


def test_every_route_declares_its_access_rule():
    """A new route without `@access(...)` (accounts.policy.access) fails here — declare its rule."""
    undeclared = [r.template for r in platform_routes() if declared(r.callback) is None]
    assert undeclared == []
    unknown = {r.template: declared(r.callback)["rule"] for r in platform_routes()
               if declared(r.callback)["rule"] not in ROUTE_RULES}
    assert unknown == {}


def test_every_api_operation_of_the_schema_is_a_tested_route():
    """The schema and the resolver agree: every documented path with a parameter is walked by the access test."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    def norm(path: str) -> str:  # drf-spectacular names a `pk` parameter `id`
        return path.replace("{pk}", "{id}").replace("$", "")

    resolver_paths = {norm(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + r.template)) for r in platform_routes()}
    with_params = [norm(path) for path in schema["paths"] if "{" in path]
    assert with_params, "the schema lists operations with path parameters"
    assert sorted(p for p in with_params if p not in resolver_paths) == []


def _url(route: Route, world: Any, spec: dict[str, Any]) -> str:
    url = "/" + route.template
    for name in route.kwargs:
        if name in spec["samples"]:
            value = spec["samples"][name]
        else:
            value = world.id_of(spec["objects"].get(name) or DEFAULT_KINDS[name])
        url = re.sub(r"<(?:\w+:)?" + name + ">", str(value), url)
    return url


def _body(route: Route, world: Any, spec: dict[str, Any]) -> dict[str, Any]:
    body = {field: world.id_of(kind) for field, kind in spec["body"].items()}
    body.update({k: v for k, v in spec["samples"].items() if k not in route.kwargs})
    return body


def _client(world: Any, role: str) -> Client:
    client = Client(raise_request_exception=False)
    user = world.probes[role]
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_no_route_lets_a_probe_role_at_another_persons_objects(settings):
    settings.ALLOWED_HOSTS = ["*"]
    world = build()
    cells = leaks = unaudited = server_errors = refused = 0
    problems: list[str] = []
    for route in platform_routes():
        spec = declared(route.callback)
        if spec is None:
            continue
        takes_id = any(k not in spec["samples"] for k in route.kwargs)
        if not takes_id and not spec["body"]:
            continue
        url = _url(route, world, spec)
        body = _body(route, world, spec)
        # The ids in the URL and in the body each have their rule: a 2xx needs both to allow the role.
        allows = ROUTE_RULES[spec["rule"]].allows if takes_id else frozenset(ROUTE_RULES["public"].allows)
        if spec["body"]:
            allows = allows & ROUTE_RULES[spec["body_rule"]].allows
        for role in PROBE_ROLES:
            role_name = "doctor" if role == "doctor_cancelled" else role
            client = _client(world, role)
            for method in _methods(route):
                if method == "get" and not takes_id:
                    continue  # a list of the caller's own things: the body id is what is attacked
                cells += 1
                before = AuditEvent.objects.filter(action="denied").count()
                with transaction.atomic():
                    sid = transaction.savepoint()
                    kwargs: dict[str, Any] = {}
                    if method != "get":
                        kwargs = ({"data": body, "content_type": "application/json"} if _is_api(route)
                                  else {"data": body})
                    response = getattr(client, method)(url, **kwargs)
                    written = AuditEvent.objects.filter(action="denied").count() - before
                    content = b"".join(response.streaming_content) if response.streaming else response.content
                    text = content.decode("utf-8", "replace")
                    transaction.savepoint_rollback(sid)
                where = f"{method.upper()} {url} as {role} [{spec['rule']}]"
                status = response.status_code
                if status >= 500:
                    server_errors += 1
                    problems.append(f"{where}: {status}")
                    continue
                if role_name in allows:
                    continue  # the declared rule lets this role in; only a 5xx would be wrong
                if 200 <= status < 300:
                    leaks += 1
                    problems.append(f"{where}: {status} (not allowed by the rule)")
                    continue
                if any(marker in text for marker in MARKERS):
                    leaks += 1
                    problems.append(f"{where}: {status} with the victim's data in the body")
                if status == 405:
                    if written:
                        problems.append(f"{where}: 405 wrote {written} audit rows")
                    continue
                login_redirect = status == 302 and role == "anonymous" and "/accounts/login/" in response["Location"]
                if status not in (401, 403, 404) and not login_redirect:
                    problems.append(f"{where}: {status} is not a refusal")
                    continue
                refused += 1
                if written != 1:
                    unaudited += 1
                    problems.append(f"{where}: {status} with {written} audit rows (want exactly 1)")
    print(f"\naccess test: {cells} cells, {refused} refusals, leaks {leaks}, refusals without exactly one audit "
          f"row {unaudited}, 5xx {server_errors}")
    for problem in problems:
        print("  ", problem)
    assert cells > 500  # every id-taking route × 7 roles × its methods (a shrinking count is a broken walk)
    assert "\n".join(problems) == ""
