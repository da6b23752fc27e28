from django.urls import path

from programs import views

app_name = "programs"

# Ids only in paths: nothing that identifies a patient beyond a number (no PHI in URLs).
urlpatterns = [
    path("patient/<int:patient_pk>/enrol/", views.enrolment_create, name="enrolment_create"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="enrolment_detail"),
    path(
        "enrolments/<int:pk>/move/<slug:target>/",
        views.enrolment_transition,
        name="enrolment_transition",
    ),
    path("enrolments/<int:pk>/sessions/new/", views.session_create, name="session_create"),
]
