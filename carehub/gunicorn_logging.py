"""gunicorn's logger for CareHub (``logger_class`` in gunicorn.conf.py): every atom of
the access log (the request line, the path, the referrer, any request header a changed
``access_log_format`` might name) and every error-log line has its bearer credentials
masked (carehub.logging.mask_credentials): the receiving service's signed link is a
credential in the path."""

from __future__ import annotations

from gunicorn.glogging import Logger

from carehub.logging import MaskCredentials, mask_credentials, strip_query_string


class CredentialMaskingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(MaskCredentials())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = mask_credentials(value)
        # Query strings can carry search terms (names): never in the access log.
        atoms["q"] = "-"
        for key in ("r", "f", "{referer}i", "{raw_uri}e", "{request_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = strip_query_string(atoms[key])
        return atoms
