from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterfacesConfig(AppConfig):
    name = "interfaces"
    verbose_name = _("Interfaces: notices from hospitals and exchanges")

    def ready(self) -> None:
        from carehub import health
        from interfaces.status import inbox_part, inbox_status

        health.register_status(order=40)(inbox_status)
        health.register_part("inbox")(inbox_part)
