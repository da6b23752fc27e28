"""API tokens in Django admin: admins see every token, revoke them, and make one for a
user (its key shown once, on the answer to the save)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from api import tokens
from api.models import ApiToken


class ApiTokenAddForm(forms.ModelForm):
    lifetime = forms.ChoiceField(
        label=_("Expires after"),
        choices=[("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("never", "never")],
        initial="90",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = [
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
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
            lifetime_days=tokens.LIFETIMES[form.cleaned_data["lifetime"]],
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
