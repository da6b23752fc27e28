from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("patients/<int:pk>/", views.patient_trail, name="patient_trail"),
]
