"""The policy at the API edge: DRF permission classes that ask the policy and refuse through `refuse()`."""
from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .refusal import LoginRequired, refuse, require
from .rules import can


def _object_id(request: Any) -> str:
    return request.path[:64]


class Authenticated(BasePermission):
    """The API default: logged in (session or token). An anonymous call is refused and audited once; DRF then
    answers 401/403 as usual."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        try:
            refuse(actor=None, object_type="api", object_id=_object_id(request), action=request.method.lower(),
                   reason="anonymous", status=401)
        except LoginRequired:
            return False
        return False  # pragma: no cover - refuse always raises


def Allows(capability: str) -> type[BasePermission]:  # noqa: N802 - reads as a class in permission_classes
    """`permission_classes = [Allows("booking.book")]`: logged in and the role has the capability."""

    class _Allows(Authenticated):
        def has_permission(self, request: Any, view: Any) -> bool:
            if not super().has_permission(request, view):
                return False
            require(can(request.user, capability), actor=request.user, object_type="api",
                    object_id=_object_id(request), action=request.method.lower(), status=403)
            return True

    _Allows.__name__ = f"Allows_{capability.replace('.', '_')}"
    return _Allows
