"""API tokens in Django admin: admins see every token, revoke them, and make one for a
user (its key shown once, on the answer to the save)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from api import tokens
from api.forms import _lifetime_field
from api.models import ApiToken, TokenPolicy


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lifetime"] = _lifetime_field()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["scope", "revoked_because", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = [
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_because",
        "revoked_by",
    ]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # tokens are made and revoked, never edited

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        user: User = form.cleaned_data["user"]
        token, key = tokens.api_token_create(
            user=user,
            by=request.user,
            name=form.cleaned_data["name"],
            lifetime_days=form.cleaned_data["lifetime"],
            scope=form.cleaned_data["scope"],
        )
        obj.pk = token.pk
        request._carehub_new_key = key

    def save_related(self, request, form, formsets, change) -> None:
        return None

    def response_add(self, request, obj, post_url_continue=None):
        token = ApiToken.objects.get(pk=obj.pk)
        return TemplateResponse(
            request,
            "api/token_created.html",
            {"token": token, "key": request._carehub_new_key},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            tokens.api_token_revoke(token=token, by=request.user)
        messages.success(request, _("Tokens revoked."))


@admin.register(TokenPolicy)
class TokenPolicyAdmin(admin.ModelAdmin):
    """One row: the longest lifetime of any API token. Saving it shortens the tokens that
    would outlive it (api.tokens.token_policy_set)."""

    fields = ["max_lifetime_days", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not TokenPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        policy, shortened = tokens.token_policy_set(max_lifetime_days=obj.max_lifetime_days)
        obj.pk = policy.pk
        if shortened:
            messages.info(
                request,
                _("%(count)d tokens now end sooner, within the new longest lifetime.")
                % {"count": shortened},
            )
