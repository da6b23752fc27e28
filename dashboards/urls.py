from django.urls import path

from dashboards import views

app_name = "dashboards"

# Ids only in query strings (?coordinator=ID, ?patient=ID): no PHI in URLs.
urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/export.csv", views.caseload_export, name="caseload_export"),
    path("caseload/reassign/", views.reassign, name="reassign"),
]
