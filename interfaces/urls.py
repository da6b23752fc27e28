from django.urls import path

from interfaces import views

app_name = "interfaces"

urlpatterns = [
    path("unmatched/", views.unmatched_list, name="unmatched"),
    path("unmatched/<int:pk>/match/", views.unmatched_match, name="unmatched_match"),
    path("unmatched/<int:pk>/dismiss/", views.unmatched_dismiss, name="unmatched_dismiss"),
]
