"""FHIR R4 read endpoints. Ids only in paths; a referral's fulfilment Task is
Task/referral-<id>."""

from django.urls import re_path

from fhir_export import views

app_name = "fhir"

ID = r"(?P<id>[0-9]{1,18})"

urlpatterns = [
    re_path(rf"^Patient/{ID}$", views.PatientRead.as_view(), name="patient"),
    re_path(rf"^Patient/{ID}/\$everything$", views.PatientEverything.as_view(), name="everything"),
    re_path(rf"^CarePlan/{ID}$", views.CarePlanRead.as_view(), name="careplan"),
    re_path(rf"^Goal/{ID}$", views.GoalRead.as_view(), name="goal"),
    re_path(rf"^ServiceRequest/{ID}$", views.ServiceRequestRead.as_view(), name="servicerequest"),
    re_path(r"^Task/(?P<id>(?:referral-)?[0-9]{1,18})$", views.TaskRead.as_view(), name="task"),
    re_path(rf"^EpisodeOfCare/{ID}$", views.EpisodeOfCareRead.as_view(), name="episodeofcare"),
    re_path(rf"^Coverage/{ID}$", views.CoverageRead.as_view(), name="coverage"),
    re_path(rf"^Encounter/{ID}$", views.EncounterRead.as_view(), name="encounter"),
    re_path(r"^Encounter$", views.EncounterSearch.as_view(), name="encounter-search"),
    # Last: any other path under /fhir/ answers a 404 OperationOutcome.
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found, name="not-found"),  # newlines too
]
