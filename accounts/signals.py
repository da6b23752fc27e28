import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts import two_factor
from accounts.middleware import LAST_SEEN, SIGNED_IN_AT, TWO_FACTOR_ENROLLED
from accounts.services import user_session_ended, user_session_started


@receiver(user_logged_in, dispatch_uid="accounts.session_started")
def _session_started(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    request.session[TWO_FACTOR_ENROLLED] = two_factor.is_enrolled(user)
    # The key exists only once the session is saved; sign-in rotates it.
    if request.session.session_key is None:
        request.session.save()
    user_session_started(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="accounts.session_ended")
def _session_ended(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        user_session_ended(session_key=request.session.session_key)
