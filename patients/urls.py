from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/status/", views.patient_change_status, name="change_status"),
    path("<int:pk>/contacts/new/", views.related_person_edit, name="related_person_add"),
    path(
        "<int:pk>/contacts/<int:person_pk>/", views.related_person_edit, name="related_person_edit"
    ),
    path(
        "<int:pk>/contacts/<int:person_pk>/remove/",
        views.related_person_remove,
        name="related_person_remove",
    ),
    path("<int:pk>/identifiers/new/", views.identifier_add, name="identifier_add"),
    path(
        "<int:pk>/identifiers/<int:identifier_pk>/remove/",
        views.identifier_remove,
        name="identifier_remove",
    ),
]
