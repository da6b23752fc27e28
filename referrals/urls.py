from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("export.csv", views.referral_export, name="export"),
    path("directory/", views.directory, name="directory"),
    path("patient/<int:patient_pk>/new/", views.referral_create, name="create"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/edit/", views.referral_edit, name="edit"),
    path("<int:pk>/send/", views.referral_send, name="send"),
    path("<int:pk>/move/<slug:to>/", views.referral_move, name="move"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:pk>/reroute/", views.referral_reroute, name="reroute"),
    path("<int:pk>/letter/", views.referral_letter, name="letter"),
    path("<int:pk>/renew-link/", views.referral_renew_link, name="renew_link"),
    path("<int:pk>/consent/", views.consent_add, name="consent_add"),
    path("consents/<int:consent_pk>/revoke/", views.consent_revoke, name="consent_revoke"),
    # Public: the receiving service's signed link (views.respond is login_not_required).
    path("respond/<str:token>/", views.respond, name="respond"),
]
