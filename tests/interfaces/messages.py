"""HL7 v2.5.1 ADT messages for tests, built segment by segment (``\\r`` between them)."""

from __future__ import annotations

from itertools import count

_ids = count(1)

HOSPITAL = "GENHOSP"


def adt(
    event: str,
    *,
    mrn: str = "H12345",
    authority: str = HOSPITAL,
    family: str = "Garcia",
    given: str = "Maria",
    birth: str = "19800102",
    sex: str = "F",
    visit: str = "V1001",
    patient_class: str = "I",
    when: str = "20261201080000",
    admitted: str = "",
    discharged: str = "",
    location: str = "4W^401^1",
    disposition: str = "",
    control_id: str | None = None,
    charset: str = "UNICODE UTF-8",
    extra: list[str] = (),
    pid: str | None = None,
    pv1: bool = True,
    facility: str = HOSPITAL,
    kind: str = "ADT",
) -> str:
    control_id = control_id or f"MSG{next(_ids):06d}"
    segments = [
        f"MSH|^~\\&|EPIC|{facility}|CAREHUB|HIE|{when}||{kind}^{event}^ADT_A01|{control_id}|P|2.5.1|||AL|NE||{charset}",
        f"EVN|{event}|{when}|||||{facility}",
    ]
    if pid is None:
        pid = f"PID|1||{mrn}^^^{authority}^MR||{family}^{given}^^^^^L||{birth}|{sex}"
    if pid:
        segments.append(pid)
    if pv1:
        fields = [""] * 46
        fields[0] = "PV1"
        fields[1] = "1"
        fields[2] = patient_class
        point = ((location.split("^") if location else []) + ["", "", ""])[:3]
        fields[3] = "^".join([*point, facility])
        fields[7] = "1234^Smith^John^^^Dr"
        fields[19] = visit
        fields[36] = disposition
        fields[44] = admitted
        fields[45] = discharged
        segments.append("|".join(fields))
    segments += list(extra)
    return "\r".join(segments) + "\r"


def mllp(message: str | bytes, encoding: str = "utf-8") -> bytes:
    data = message.encode(encoding) if isinstance(message, str) else message
    return b"\x0b" + data + b"\x1c\x0d"
