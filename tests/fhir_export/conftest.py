from tests.api.conftest import api, outsider_api  # noqa: F401 (the API personas)
