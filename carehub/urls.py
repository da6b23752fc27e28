from django.contrib import admin
from django.urls import include, path

from carehub import assets, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", assets.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("patients/", include("patients.urls")),
    path("care-plans/", include("careplans.urls")),
    path("referrals/", include("referrals.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("reminders.urls")),
    path("assessments/", include("assessments.urls")),
    path("programs/", include("programs.urls")),
    path("benefits/", include("benefits.urls")),
    path("interfaces/", include("interfaces.urls")),
    path("api/", include("api.urls")),
    path("fhir/", include("fhir_export.urls")),
    path("hsds/", include("directory.urls")),
    path("", include("dashboards.urls")),
    path("admin/", admin.site.urls),
]

handler500 = views.server_error

admin.site.site_header = "CareHub administration"
admin.site.site_title = "CareHub admin"
