from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from api import views as api_views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", views.security, name="security"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path(
        "password/",
        views.PasswordChange.as_view(),
        name="password_change",
    ),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("security/api-tokens/new/", api_views.api_token_create, name="api_token_create"),
    path(
        "security/api-tokens/<int:pk>/revoke/", api_views.api_token_revoke, name="api_token_revoke"
    ),
]
