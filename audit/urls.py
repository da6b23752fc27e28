from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("patients/<int:pk>/", views.patient_trail, name="patient_trail"),
    path("patients/<int:pk>/history/", views.patient_history, name="patient_history"),
]
