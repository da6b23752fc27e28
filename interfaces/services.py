"""The inbox: receive (store, then acknowledge), process (match, then hand the notice to
encounters.services), and the operators' and coordinators' steps on what is left.

Receiving writes the message before its ACK is sent, so whatever was acknowledged is
on disk. Processing happens in the worker, from the row: one message at a time under a
row lock (``select_for_update(skip_locked)``), its domain writes and its new status in one
transaction, so a worker killed mid-batch leaves each message either processed once or
still waiting. The beat sweep (``messages_sweep``) processes whatever was not queued or
not processed (Redis or the worker was down).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from encounters.services import notice_record
from interfaces import hl7v2
from interfaces.matching import authorities, match_patient
from interfaces.models import InboundMessage, MessageStatus, Transport
from patients.models import Patient, PatientIdentifier

logger = logging.getLogger(__name__)

SWEEP_AFTER = datetime.timedelta(seconds=15)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Received:
    message: InboundMessage
    ack: bytes


def message_receive(data: bytes) -> Received:
    """Store an HL7 v2 message as it came over MLLP and say what to answer. The row is
    committed before this returns; a message that cannot be taken is kept with its error
    (status error), and its ACK is AE or AR."""
    text = data.decode("latin-1")  # for a message that cannot be decoded: every byte kept
    charset = ""
    try:
        text, charset = hl7v2.decode(data)
        parsed = hl7v2.read(text, charset)
    except hl7v2.Refused as refused:
        message = InboundMessage.objects.create(
            transport=Transport.MLLP,
            raw=text,
            charset=charset,
            status=MessageStatus.ERROR,
            error=refused.text,
            **_header(text),
        )
        logger.info("HL7 message %s refused (%s %s)", message.pk, refused.code, refused.error)
        return Received(
            message,
            hl7v2.ack(
                raw=text,
                code=refused.code,
                error=refused.error,
                text=refused.text,
                where=refused.where,
            ),
        )
    fields = {
        "transport": Transport.MLLP,
        "raw": text,
        "charset": charset,
        "sender": parsed.sender[:255],
        "sending_facility": parsed.sending_facility[:100],
        "control_id": parsed.control_id[:199],
        "event": parsed.event[:32],
    }
    authority = authorities({parsed.sending_facility}).get(parsed.sending_facility)
    team_id = authority.team_id if authority else None
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(accepted=True, team_id=team_id, **fields)
    except IntegrityError:
        original = InboundMessage.objects.filter(
            sender=fields["sender"], control_id=fields["control_id"], accepted=True
        ).first()
        message = InboundMessage.objects.create(
            status=MessageStatus.DUPLICATE, duplicate_of=original, team_id=team_id, **fields
        )
        return Received(message, hl7v2.ack(raw=text, code="AA"))
    transaction.on_commit(lambda: _queue(message.pk))
    return Received(message, hl7v2.ack(raw=text, code="AA"))


def _header(text: str) -> dict:
    """What can be read of a refused message's MSH, for the operator's filters."""
    try:
        parsed = hl7v2.hl7.parse(text)
        get = lambda key: hl7v2._get(parsed, key)  # noqa: E731
        return {
            "sender": f"{get('MSH.F3.R1.C1')}|{get('MSH.F4.R1.C1')}"[:255],
            "sending_facility": get("MSH.F4.R1.C1")[:100],
            "control_id": get("MSH.F10")[:199],
            "event": f"{get('MSH.F9.R1.C1')}^{get('MSH.F9.R1.C2')}".strip("^")[:32],
        }
    except Exception:
        return {}


def _queue(message_id: int) -> None:
    """Ask the worker to process it now; if the broker is down, the sweep will."""
    from interfaces.tasks import messages_process

    try:
        messages_process.delay([message_id])
    except Exception:
        logger.warning(
            "inbox message %s not queued (broker down): the sweep will process it", message_id
        )


def message_process(message_id: int) -> str | None:
    """Process one waiting message; its new status (None when it was not waiting, or
    another worker holds it)."""
    with transaction.atomic():
        message = (
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=MessageStatus.RECEIVED)
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        try:
            with transaction.atomic():
                _apply(message)
        except hl7v2.Refused as refused:
            message.status, message.error = MessageStatus.ERROR, refused.text
        except ValidationError as invalid:
            message.status, message.error = MessageStatus.ERROR, " ".join(invalid.messages)
        except Exception:
            logger.exception("inbox message %s could not be processed", message.pk)
            message.status = MessageStatus.ERROR
            message.error = _("CareHub could not process this message (see the server log).")
        message.processed_at = timezone.now()
        message.save()
        return message.status


def _apply(message: InboundMessage, *, patient: Patient | None = None) -> None:
    parsed = hl7v2.read(message.raw, message.charset)
    if parsed.event.endswith(hl7v2.MERGE):
        _merge(parsed)
        message.status, message.error = MessageStatus.PROCESSED, ""
        return
    if patient is None:
        match = match_patient(
            parsed.identifiers,
            family_name=parsed.family_name,
            given_name=parsed.given_name,
            birth_date=parsed.birth_date,
            sex=parsed.sex,
            sending_facility=parsed.sending_facility,
        )
        if match.patient is None:
            message.status, message.error = MessageStatus.UNMATCHED, match.how
            return
        patient = match.patient
        audit_record(
            action=AuditAction.CHANGE,
            patient_id=patient.pk,
            obj=message,
            username="interfaces",
            detail={"matched_by": match.how},
        )
    notice_record(patient=patient, notice=parsed.notice, source="hl7v2", message_id=message.pk)
    message.patient = patient
    message.status, message.error = MessageStatus.PROCESSED, ""


def _merge(parsed: hl7v2.Parsed) -> None:
    """A40: the sender merged its records: CareHub's identifiers of the prior record (of
    the authorities it knows) become the surviving one's."""
    facility = parsed.sending_facility
    known = authorities(
        {i.authority or facility for i in parsed.prior_identifiers + parsed.identifiers}
    )
    survivors = {
        known[i.authority or facility].identifier_system: i.value
        for i in parsed.identifiers
        if (i.authority or facility) in known and known[i.authority or facility].identifier_system
    }
    for prior in parsed.prior_identifiers:
        authority = known.get(prior.authority or facility)
        if authority is None or not authority.identifier_system:
            continue
        system = authority.identifier_system
        new_value = survivors.get(system)
        if not new_value or new_value == prior.value:
            continue
        old = PatientIdentifier.objects.filter(system=system, value=prior.value).first()
        if old is None:
            continue
        taken = PatientIdentifier.objects.filter(system=system, value=new_value).first()
        if taken is not None and taken.patient_id != old.patient_id:
            raise hl7v2.Refused(
                "AE",
                "205",
                _("The merged identifiers belong to two CareHub patients: merge them by hand."),
            )
        if taken is None:
            old.value = new_value
            old.save(update_fields=["value"])
        else:
            old.delete()


def message_match(*, message: InboundMessage, patient: Patient, by) -> InboundMessage:
    """A coordinator or admin says whom an unmatched notice is about: it is processed for
    that patient now. Audited (the patient's trail shows who matched what)."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != MessageStatus.UNMATCHED:
            raise ValidationError(_("This notice is no longer waiting for a patient."))
        message.attempts += 1
        _apply(message, patient=patient)
        message.resolved_by = by
        message.processed_at = timezone.now()
        message.save()
        audit_record(
            action=AuditAction.CHANGE,
            actor=by,
            patient_id=patient.pk,
            obj=message,
            detail={"matched_by": "hand"},
        )
    return message


def message_dismiss(*, message: InboundMessage, reason: str, by) -> InboundMessage:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the notice is dismissed.")})
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != MessageStatus.UNMATCHED:
            raise ValidationError(_("This notice is no longer waiting for a patient."))
        message.status = MessageStatus.DISMISSED
        message.dismissed_reason = reason
        message.resolved_by = by
        message.save()
        audit_record(action=AuditAction.CHANGE, actor=by, obj=message, detail={"dismissed": True})
    return message


def message_reprocess(*, message: InboundMessage) -> InboundMessage:
    """An operator fixed what made it fail (a facility mapped, a patient registered): it
    waits to be processed again."""
    updated = InboundMessage.objects.filter(
        pk=message.pk, status__in=(MessageStatus.ERROR, MessageStatus.UNMATCHED), accepted=True
    ).update(status=MessageStatus.RECEIVED, error="")
    if updated:
        transaction.on_commit(lambda: _queue(message.pk))
    message.refresh_from_db()
    return message


def messages_sweep(
    *, older_than: datetime.timedelta = SWEEP_AFTER, batch: int = SWEEP_BATCH
) -> int:
    """Process waiting messages that nobody processed (oldest first, one batch)."""
    ids = list(
        InboundMessage.objects.filter(
            status=MessageStatus.RECEIVED, received_at__lt=timezone.now() - older_than
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for pk in ids if message_process(pk) is not None)
