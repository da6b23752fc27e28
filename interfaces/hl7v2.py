"""HL7 v2.5.1 ADT messages in, ACKs out: python-hl7 parses (and unescapes); this module
only says which fields mean what for CareHub.

``decode`` reads the bytes in the character set MSH-18 names (HL7 table 0211); ``read``
turns the text into a ``Parsed`` message, or raises ``Refused`` with the ACK code (AR:
CareHub will not take this kind of message; AE: the message is wrong) and an HL7 error
code (table 0357) and location. ``ack`` writes the answer, with an ERR segment when it
is not AA.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import hl7
from django.utils import timezone

from encounters.models import EncounterClass, NoticeEvent
from encounters.services import Notice

# HL7 table 0211 -> Python codecs, for the sets whose bytes keep ASCII's (the segment and
# field separators are found before decoding). Empty MSH-18: ASCII, read as UTF-8 (its
# superset) as most senders mean.
CHARSETS = {
    "": "utf-8",
    "ASCII": "ascii",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "iso8859-1",
    "8859/2": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "8859/6": "iso8859-6",
    "8859/7": "iso8859-7",
    "8859/8": "iso8859-8",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
}

EVENTS = {choice.value for choice in NoticeEvent}
# A40: the sender merged two of its patient records (MRG-1 into PID-3).
MERGE = "A40"
SUPPORTED = EVENTS | {MERGE}

# PV1-2 patient class (HL7 table 0004) -> encounter class.
PATIENT_CLASS = {
    "I": EncounterClass.INPATIENT,
    "E": EncounterClass.EMERGENCY,
    "O": EncounterClass.AMBULATORY,
    "P": EncounterClass.INPATIENT,  # pre-admit
    "R": EncounterClass.AMBULATORY,  # recurring patient
    "B": EncounterClass.INPATIENT,  # obstetrics
}
# Coding systems of CWE.3 (HL7 table 0396) -> FHIR system URIs.
CODE_SYSTEMS = {
    "I10": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
}


class Refused(Exception):
    """The message is not taken: ``code`` AR or AE, ``error`` table 0357, ``where`` the
    location (segment^sequence^field), ``text`` for the sender and the operator."""

    def __init__(self, code: str, error: str, text: str, where: str = ""):
        super().__init__(text)
        self.code, self.error, self.text, self.where = code, error, text, where


@dataclass
class Identifier:
    value: str
    authority: str  # CX.4.1
    type_code: str  # CX.5


@dataclass
class Parsed:
    message: hl7.Message
    sender: str
    sending_facility: str
    control_id: str
    event: str
    charset: str
    identifiers: list[Identifier] = field(default_factory=list)
    family_name: str = ""
    given_name: str = ""
    birth_date: datetime.date | None = None
    sex: str = ""
    prior_identifiers: list[Identifier] = field(default_factory=list)  # MRG-1 (A40)
    notice: Notice | None = None


def charset_of(data: bytes) -> str:
    """MSH-18 (its first repetition), read from the bytes of the MSH segment."""
    if not data.startswith(b"MSH") or len(data) < 8:
        raise Refused("AR", "100", "The message does not begin with an MSH segment.", "MSH^1")
    segment = data.replace(b"\n", b"\r").split(b"\r", 1)[0]
    separator = segment[3:4]
    fields = segment.split(separator)
    value = fields[17] if len(fields) > 17 else b""
    repeat = fields[1][1:2] if len(fields) > 1 and len(fields[1]) > 1 else b"~"
    return value.split(repeat)[0].decode("ascii", "replace").strip().upper()


def decode(data: bytes) -> tuple[str, str]:
    """The message as text and the character set it was read in."""
    charset = charset_of(data)
    codec = CHARSETS.get(charset)
    if codec is None:
        raise Refused(
            "AR", "203", f"The character set {charset!r} (MSH-18) is not supported.", "MSH^1^18"
        )
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        name = charset or "ASCII/UTF-8"
        raise Refused(
            "AR", "102", f"The message is not valid {name} text (MSH-18).", "MSH^1^18"
        ) from None
    # Segments end with a carriage return; some senders use line feeds.
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r") + "\r", charset


def _get(message: hl7.Message, key: str) -> str:
    try:
        return str(message[key]).strip()
    except (KeyError, IndexError):
        return ""


def _has(message: hl7.Message, segment: str) -> bool:
    try:
        message.segment(segment)
    except KeyError:
        return False
    return True


def read(text: str, charset: str) -> Parsed:
    try:
        message = hl7.parse(text)
    except Exception as error:  # python-hl7 raises plain exceptions on broken structure
        raise Refused("AR", "100", f"The message cannot be read as HL7 v2: {error}.") from None
    if not _has(message, "MSH"):
        raise Refused("AR", "100", "The message has no MSH segment.", "MSH^1")
    control_id = _get(message, "MSH.F10")
    if not control_id:
        raise Refused("AR", "101", "MSH-10 (the message id) is empty.", "MSH^1^10")
    kind = _get(message, "MSH.F9.R1.C1")
    event = _get(message, "MSH.F9.R1.C2") or _get(message, "EVN.F1")
    parsed = Parsed(
        message=message,
        sender="|".join([_get(message, "MSH.F3.R1.C1"), _get(message, "MSH.F4.R1.C1")]),
        sending_facility=_get(message, "MSH.F4.R1.C1"),
        control_id=control_id,
        event=f"{kind}^{event}" if kind else event,
        charset=charset,
    )
    if kind != "ADT":
        raise Refused("AR", "200", f"Message type {kind or '(none)'} is not taken here.", "MSH^1^9")
    if event not in SUPPORTED:
        raise Refused("AR", "201", f"Event {event or '(none)'} is not supported.", "MSH^1^9^2")
    if not _has(message, "PID"):
        raise Refused("AE", "100", "The message has no PID segment.", "PID^1")
    parsed.identifiers = _identifiers(message, "PID.F3", len(message.segment("PID")[3]))
    if not parsed.identifiers:
        raise Refused("AE", "101", "PID-3 (the patient's identifiers) is empty.", "PID^1^3")
    parsed.family_name = _get(message, "PID.F5.R1.C1")
    parsed.given_name = _get(message, "PID.F5.R1.C2")
    parsed.birth_date = _date(_get(message, "PID.F7"), "PID^1^7")
    parsed.sex = _get(message, "PID.F8")
    if event == MERGE:
        if not _has(message, "MRG"):
            raise Refused("AE", "100", "A merge (A40) needs an MRG segment.", "MRG^1")
        parsed.prior_identifiers = _identifiers(message, "MRG.F1", len(message.segment("MRG")[1]))
        if not parsed.prior_identifiers:
            raise Refused("AE", "101", "MRG-1 (the merged identifiers) is empty.", "MRG^1^1")
        return parsed
    if not _has(message, "PV1"):
        raise Refused("AE", "100", f"An {event} needs a PV1 segment.", "PV1^1")
    parsed.notice = _notice(message, parsed, event)
    return parsed


def _identifiers(message: hl7.Message, key: str, repeats: int) -> list[Identifier]:
    found = []
    for n in range(1, repeats + 1):
        value = _get(message, f"{key}.R{n}.C1")
        if value:
            found.append(
                Identifier(
                    value=value,
                    authority=_get(message, f"{key}.R{n}.C4.S1") or _get(message, f"{key}.R{n}.C4"),
                    type_code=_get(message, f"{key}.R{n}.C5"),
                )
            )
    return found


def _datetime(value: str, where: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = hl7.parse_datetime(value)
    except ValueError:
        raise Refused("AE", "102", f"{value!r} is not an HL7 date and time.", where) from None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _date(value: str, where: str) -> datetime.date | None:
    moment = _datetime(value[:8], where) if value else None
    return moment.date() if moment else None


def _person(message: hl7.Message, key: str) -> str:
    """An XCN as "prefix given family"."""
    parts = [_get(message, f"{key}.R1.C{n}") for n in (6, 3, 2)]
    return " ".join(p for p in parts if p)


def _notice(message: hl7.Message, parsed: Parsed, event: str) -> Notice:
    occurred = (
        _datetime(_get(message, "EVN.F6"), "EVN^1^6")
        or _datetime(_get(message, "EVN.F2"), "EVN^1^2")
        or _datetime(_get(message, "MSH.F7"), "MSH^1^7")
        or timezone.now()
    )
    patient_class = _get(message, "PV1.F2").upper()
    klass = PATIENT_CLASS.get(patient_class, "")
    if "OBS" in _get(message, "PV1.F18").upper() or "OBS" in _get(message, "PV1.F10").upper():
        klass = EncounterClass.OBSERVATION
    location = ", ".join(p for p in (_get(message, f"PV1.F3.R1.C{n}") for n in (1, 2, 3)) if p)
    facility = _get(message, "PV1.F3.R1.C4") or _get(message, "PV1.F39") or parsed.sending_facility
    diagnoses = []
    count = len(message.segments("DG1")) if _has(message, "DG1") else 0
    for n in range(1, count + 1):
        key = f"DG1{n}"  # the n-th DG1 (python-hl7's accessor)
        code = _get(message, f"{key}.F3.R1.C1")
        text = _get(message, f"{key}.F3.R1.C2") or _get(message, f"{key}.F4")
        system = _get(message, f"{key}.F3.R1.C3").upper()
        if code or text:
            diagnoses.append(
                {"code": code, "system": CODE_SYSTEMS.get(system, system), "text": text}
            )
    reason = _get(message, "PV2.F3.R1.C2") or _get(message, "PV2.F3.R1.C1")
    return Notice(
        event=event,
        occurred_at=occurred,
        facility_key=parsed.sending_facility,
        visit_number=_get(message, "PV1.F19.R1.C1"),
        facility=facility,
        encounter_class=klass,
        admitted_at=_datetime(_get(message, "PV1.F44"), "PV1^1^44"),
        discharged_at=_datetime(_get(message, "PV1.F45"), "PV1^1^45"),
        location=location,
        attending=_person(message, "PV1.F7"),
        reason=reason,
        diagnoses=diagnoses,
        discharge_disposition=_get(message, "PV1.F36"),
    )


def ack(
    *,
    raw: str | None,
    code: str,
    error: str = "",
    text: str = "",
    where: str = "",
) -> bytes:
    """The ACK for a message (AA, or AE/AR with ERR-2 location, ERR-3 error code, ERR-4
    severity E and ERR-8 the reason), in UTF-8 (its MSH-18 says so)."""
    now = timezone.now().strftime("%Y%m%d%H%M%S")
    try:
        message = hl7.parse(raw) if raw else None
        message.segment("MSH") if message is not None else None
    except Exception:
        message = None
    if message is not None:
        answer = message.create_ack(code, application="CAREHUB", facility="CAREHUB")
        msh = answer.segment("MSH")
        msh.assign_field("UNICODE UTF-8", 18)
        msh.assign_field(now, 7)
        if not str(msh[12]).strip():
            msh.assign_field("2.5.1", 12)
        if not str(msh[11]).strip():
            msh.assign_field("P", 11)
        lines = str(answer).strip("\r").split("\r")
    else:
        lines = [
            f"MSH|^~\\&|CAREHUB|CAREHUB|||{now}||ACK|{now}|P|2.5.1||||||UNICODE UTF-8",
            f"MSA|{code}|",
        ]
    if code != "AA":
        escape = hl7.parse("MSH|^~\\&|\r").escape if message is None else message.escape
        reason = escape(text[:200]) if text else ""
        lines[1] = f"{lines[1]}|{reason}" if reason else lines[1]
        lines.append(f"ERR||{where}|{error}^^HL70357|E||||{reason}")
    return ("\r".join(lines) + "\r").encode("utf-8")
