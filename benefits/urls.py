from django.urls import path

from benefits import views

app_name = "benefits"

# Ids only in paths: nothing that identifies a patient beyond a number (no PHI in URLs).
urlpatterns = [
    path("", views.casework, name="casework"),
    path("patient/<int:patient_pk>/coverage/new/", views.coverage_create, name="coverage_create"),
    path("coverage/<int:pk>/edit/", views.coverage_edit, name="coverage_edit"),
    path(
        "patient/<int:patient_pk>/authorisations/new/",
        views.authorisation_create,
        name="authorisation_create",
    ),
    path("authorisations/<int:pk>/edit/", views.authorisation_edit, name="authorisation_edit"),
    path(
        "patient/<int:patient_pk>/applications/new/",
        views.application_create,
        name="application_create",
    ),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/move/<slug:target>/",
        views.application_transition,
        name="application_transition",
    ),
    path("applications/<int:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_mark, name="document_mark"),
]
