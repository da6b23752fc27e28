"""Token authentication for scripts and integrations: ``Authorization: Bearer chk_...``.

Unknown, revoked and expired keys get the same 401, so an answer tells nothing about
which keys exist. Sessions (the browser) authenticate through DRF's SessionAuthentication
with its CSRF check; a token request carries no cookies and needs none. A read-only token
is refused (403) on every method but GET, HEAD and OPTIONS, whatever the view.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.permissions import SAFE_METHODS

from api.models import ApiToken
from api.tokens import api_token_authenticate

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give one token after “Bearer”."))
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = api_token_authenticate(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return f'{self.keyword} realm="api"'


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may read and nothing else (403 with the reason). Every API and
    FHIR view has it (settings' DEFAULT_PERMISSION_CLASSES and api.base.ApiViewSet;
    tests/api/test_tokens.py walks the URLs to hold it so)."""

    message = _("This token may only read: make a read-and-write token to change data.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if request.method in SAFE_METHODS or not isinstance(token, ApiToken):
            return True
        return token.may_write
