"""The API's JSON parser: DRF's, refusing a lone UTF-16 surrogate anywhere in the body.

JSON may spell one (``"\\ud800"``); Python decodes it into a str that cannot be encoded
as UTF-8. DRF's CharField refuses it, but a choice field, a key or a number field echoes
it in its error message ("... is not a valid choice"), and encoding that answer failed
with a 500. Refused here once, for every field of every body, with a message that does not
echo the input.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(data) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if has_surrogate(data):
            raise ParseError(
                _("The body holds a lone UTF-16 surrogate (\\ud800-\\udfff): not valid text.")
            )
        return data
