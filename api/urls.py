"""/api/v1/ (the resources), /api/schema/ and /api/docs/. Mounted at api/ by carehub/urls.py."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from api import (
    accounts,
    assessments,
    benefits,
    careplans,
    coverage,
    directory,
    docs,
    encounters,
    notifications,
    patients,
    programs,
    referrals,
    tasks,
    views,
)

app_name = "api"

router = SimpleRouter()
router.register("patients", patients.PatientViewSet, basename="patient")
router.register("care-plans", careplans.CarePlanViewSet, basename="care-plan")
router.register("goals", careplans.GoalViewSet, basename="goal")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("referrals", referrals.ReferralViewSet, basename="referral")
router.register(
    "screening-templates", assessments.ScreeningTemplateViewSet, basename="screening-template"
)
router.register("assessments", assessments.AssessmentViewSet, basename="assessment")
router.register("identified-needs", assessments.IdentifiedNeedViewSet, basename="identified-need")
router.register("programs", programs.ProgramViewSet, basename="program")
router.register("enrolments", programs.EnrolmentViewSet, basename="enrolment")
router.register(
    "attendance-sessions", programs.AttendanceSessionViewSet, basename="attendance-session"
)
router.register("encounters", encounters.EncounterViewSet, basename="encounter")
router.register("coverages", coverage.CoverageViewSet, basename="coverage")
router.register(
    "prior-authorisations", coverage.PriorAuthorisationViewSet, basename="prior-authorisation"
)
router.register(
    "benefit-applications", benefits.BenefitApplicationViewSet, basename="benefit-application"
)
router.register("services", directory.ServiceViewSet, basename="service")
router.register("organizations", directory.OrganizationViewSet, basename="organization")
router.register("users", accounts.UserViewSet, basename="user")
router.register("teams", accounts.TeamViewSet, basename="team")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("reminders", notifications.ReminderViewSet, basename="reminder")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", docs.RedocView.as_view(url_name="api:schema"), name="redoc"),
    # Last: any other path under /api/ answers a JSON 404 (Django's would be an HTML page).
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found, name="not-found"),  # newlines too
]
