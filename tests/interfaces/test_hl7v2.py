"""Reading HL7 v2 ADT (interfaces.hl7v2): what each field means for CareHub, and the AE or
AR (with its ERR segment) for what cannot be taken."""

from __future__ import annotations

import hl7
import pytest

from encounters.models import EncounterClass
from interfaces import hl7v2
from tests.interfaces.messages import adt


def read(text: str) -> hl7v2.Parsed:
    decoded, charset = hl7v2.decode(text.encode("utf-8"))
    return hl7v2.read(decoded, charset)


def refusal(data: bytes) -> hl7v2.Refused:
    with pytest.raises(hl7v2.Refused) as caught:
        decoded, charset = hl7v2.decode(data)
        hl7v2.read(decoded, charset)
    return caught.value


def test_an_admission_with_repeats_escapes_diagnoses_and_a_z_segment():
    text = adt(
        "A01",
        pid="PID|1||H1^^^GENHOSP^MR~M77^^^MEDICAID^MA||D\\S\\Arco^José^^^^^L||19800102|F",
        admitted="20261201075500",
        extra=[
            "PV2|||CHF^Shortness of breath",
            "DG1|1||I50.9^Heart failure, unspecified^I10|||A",
            "DG1|2||44054006^Diabetes^SCT|||W",
            "ZXY|anything|the sender adds",
        ],
    )
    parsed = read(text)
    assert parsed.event == "ADT^A01" and parsed.sending_facility == "GENHOSP"
    assert [(i.value, i.authority, i.type_code) for i in parsed.identifiers] == [
        ("H1", "GENHOSP", "MR"),
        ("M77", "MEDICAID", "MA"),
    ]
    assert (parsed.family_name, parsed.given_name, parsed.sex) == ("D^Arco", "José", "F")
    notice = parsed.notice
    assert notice.visit_number == "V1001" and notice.encounter_class == EncounterClass.INPATIENT
    assert notice.location == "4W, 401, 1" and notice.attending == "Dr John Smith"
    assert notice.admitted_at.isoformat().startswith("2026-12-01T07:55")
    assert notice.reason == "Shortness of breath"
    assert notice.diagnoses == [
        {
            "code": "I50.9",
            "system": "http://hl7.org/fhir/sid/icd-10-cm",
            "text": "Heart failure, unspecified",
        },
        {"code": "44054006", "system": "http://snomed.info/sct", "text": "Diabetes"},
    ]


@pytest.mark.parametrize(
    "event", ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13"]
)
def test_every_event_is_read_with_missing_optional_fields(event):
    text = adt(event, location="", admitted="", discharged="")
    notice = read(text).notice
    assert notice.event == event and notice.location == "" and notice.discharged_at is None


def test_a_merge_names_the_prior_identifiers():
    parsed = read(adt("A40", pv1=False, extra=["MRG|H999^^^GENHOSP^MR"]))
    assert [i.value for i in parsed.prior_identifiers] == ["H999"] and parsed.notice is None


def test_the_character_set_of_msh_18():
    latin = adt("A01", family="Muñoz", charset="8859/1").encode("iso8859-1")
    decoded, charset = hl7v2.decode(latin)
    assert charset == "8859/1" and hl7v2.read(decoded, charset).family_name == "Muñoz"
    # The same bytes declared UTF-8 are not valid UTF-8: refused, not misread.
    wrong = adt("A01", family="Muñoz", charset="UNICODE UTF-8").encode("iso8859-1")
    assert (refusal(wrong).code, refusal(wrong).error) == ("AR", "102")
    unknown = adt("A01", charset="EBCDIC").encode()
    assert (refusal(unknown).code, refusal(unknown).error) == ("AR", "203")


@pytest.mark.parametrize(
    "text, code, error, where",
    [
        (adt("A01", pid=""), "AE", "100", "PID^1"),
        (adt("A01", pid="PID|1||||Garcia^Maria"), "AE", "101", "PID^1^3"),
        (adt("A01", pv1=False), "AE", "100", "PV1^1"),
        (adt("A99"), "AR", "201", "MSH^1^9^2"),
        (adt("R01", kind="ORU"), "AR", "200", "MSH^1^9"),
        (adt("A01", control_id=" "), "AR", "101", "MSH^1^10"),
        (adt("A01", admitted="yesterday"), "AE", "102", "PV1^1^44"),
        (adt("A40", pv1=False), "AE", "100", "MRG^1"),
        ("PID|1||H1\r", "AR", "100", "MSH^1"),
    ],
)
def test_what_cannot_be_taken_is_refused_with_its_reason(text, code, error, where):
    refused = refusal(text.encode())
    assert (refused.code, refused.error, refused.where) == (code, error, where)
    assert refused.text


def test_the_ack_of_a_refusal_says_why_in_msa_and_err():
    text = adt("A01", pid="", control_id="ABC123")
    refused = refusal(text.encode())
    answer = hl7.parse(
        hl7v2.ack(
            raw=text, code=refused.code, error=refused.error, text=refused.text, where=refused.where
        ).decode()
    )
    assert str(answer["MSA.F1"]) == "AE" and str(answer["MSA.F2"]) == "ABC123"
    assert str(answer["ERR.F3.R1.C1"]) == "100" and (
        str(answer["ERR.F2.R1.C1"]),
        str(answer["ERR.F2.R1.C2"]),
    ) == ("PID", "1")
    assert "PID" in str(answer["ERR.F8"]) and str(answer["ERR.F4"]) == "E"
    assert str(answer["MSH.F9.R1.C1"]) == "ACK" and str(answer["MSH.F5"]) == "EPIC"
    accepted = hl7.parse(hl7v2.ack(raw=text, code="AA").decode())
    assert str(accepted["MSA.F1"]) == "AA" and "ERR" not in str(accepted)
