from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction, AuditOutcome
from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit.sign_in")
def _signed_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.SIGN_IN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit.sign_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=AuditAction.SIGN_OUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        outcome=AuditOutcome.FAILED,
        username=str(credentials.get("username", ""))[:150],
    )
