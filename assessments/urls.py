from django.urls import path

from assessments import views

app_name = "assessments"

# Ids only in paths: nothing that identifies a patient beyond a number (no PHI in URLs).
urlpatterns = [
    path("patient/<int:patient_pk>/new/", views.assessment_create, name="create"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("needs/<int:pk>/", views.need_detail, name="need_detail"),
    path("needs/<int:pk>/address/", views.need_address, name="need_address"),
    path("needs/<int:pk>/resolve/", views.need_resolve, name="need_resolve"),
]
