"""FHIR R4 export of a patient's record: `$everything` as a searchset Bundle.

Resources are written to FHIR R4 (4.0.1). The tests validate them with `fhir.resources.R4B` (4.3.0, the nearest
release the installed package ships; the resources used here did not change between R4 and R4B) and check the
required code bindings that library does not enforce (tests/records/fhir_bindings.py). See docs/records.md.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.models import User
from accounts.services import audit_record
from consult.models import Appointment, Encounter, EncounterDiagnosis

from ..models import (
    OBSERVATION_SPECS,
    SYSTOLIC_LOINC,
    Allergy,
    AllergySeverity,
    Frequency,
    Observation,
    ObservationKind,
    Prescription,
    PrescriptionStatus,
    Problem,
)

FHIR_VERSION = "4.0.1"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
ID_PATIENT = "urn:medplatform:patient"
ID_LICENCE = "urn:medplatform:licence"

# SNOMED CT route codes (Route of administration value set, example binding).
ROUTE_SNOMED = {
    "oral": ("26643006", "Oral route"), "sublingual": ("37839007", "Sublingual route"),
    "topical": ("6064005", "Topical route"), "inhaled": ("447694001", "Respiratory tract route"),
    "nasal": ("46713006", "Nasal route"), "ophthalmic": ("54485002", "Ophthalmic route"),
    "otic": ("10547007", "Otic route"), "rectal": ("37161004", "Rectal route"),
    "transdermal": ("45890007", "Transdermal route"), "subcutaneous": ("34206005", "Subcutaneous route"),
    "intramuscular": ("78421000", "Intramuscular route"), "intravenous": ("47625008", "Intravenous route"),
}
APPOINTMENT_STATUS = {"booked": "booked", "checked_in": "checked-in", "in_progress": "arrived",
                      "completed": "fulfilled", "cancelled": "cancelled", "no_show": "noshow"}
MEDREQ_STATUS = {PrescriptionStatus.ACTIVE: "active", PrescriptionStatus.CANCELLED: "cancelled",
                 PrescriptionStatus.COMPLETED: "completed"}
TIMES_PER_DAY = {Frequency.ONCE_DAILY: 1, Frequency.TWICE_DAILY: 2, Frequency.THREE_TIMES_DAILY: 3,
                 Frequency.FOUR_TIMES_DAILY: 4}


def _num(d: Decimal) -> float | int:
    d = d.normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def _ref(kind: str, pk: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{pk}"}


def patient_resource(patient: User) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Patient", "id": str(patient.pk),
        "identifier": [{"system": ID_PATIENT, "value": str(patient.pk)}],
        "name": [{"text": patient.full_name or str(patient)}],
        "gender": "unknown",
    }
    profile = getattr(patient, "patient_profile", None)
    if profile is not None:
        res["gender"] = profile.sex if profile.sex in ("male", "female", "other", "unknown") else "unknown"
        if profile.date_of_birth:
            res["birthDate"] = profile.date_of_birth.isoformat()
        if profile.phone:
            res.setdefault("telecom", []).append({"system": "phone", "value": profile.phone})
        if profile.address or profile.region:
            res["address"] = [{"text": ", ".join(p for p in (profile.address, profile.region) if p)}]
    if patient.email:
        res.setdefault("telecom", []).append({"system": "email", "value": patient.email})
    return res


def practitioner_resource(doctor: User) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Practitioner", "id": str(doctor.pk), "name": [{"text": str(doctor)}]}
    profile = getattr(doctor, "doctor_profile", None)
    if profile is not None and profile.licence_number:
        res["identifier"] = [{"system": ID_LICENCE, "value": profile.licence_number}]
    return res


def encounter_resource(enc: Encounter) -> dict[str, Any]:
    online = enc.appointment is not None and enc.appointment.kind in ("online", "video")  # consult.ONLINE_KINDS
    res: dict[str, Any] = {
        "resourceType": "Encounter", "id": str(enc.pk), "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                  "code": "VR" if online else "AMB", "display": "virtual" if online else "ambulatory"},
        "subject": _ref("Patient", enc.patient_id),
        "participant": [{"individual": _ref("Practitioner", enc.doctor_id)}],
        "period": {"start": enc.occurred_at.isoformat()},
    }
    if enc.chief_complaint:
        res["reasonCode"] = [{"text": enc.chief_complaint[:500]}]
    if enc.appointment_id:
        res["appointment"] = [_ref("Appointment", enc.appointment_id)]
    return res


def _condition(*, rid: str, patient_id: int, code: Any, category: str, status: str, recorded: Any,
               onset: Any = None, abatement: Any = None, encounter_id: int | None = None, note: str = "") -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Condition", "id": rid,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": status}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": category}]}],
        "code": {"coding": [{"system": ICD10, "code": code.code, "display": code.name_en}], "text": code.name_en},
        "subject": _ref("Patient", patient_id),
        "recordedDate": recorded.isoformat(),
    }
    if onset:
        res["onsetDateTime"] = onset.isoformat()
    if abatement:
        res["abatementDateTime"] = abatement.isoformat()
    if encounter_id:
        res["encounter"] = _ref("Encounter", encounter_id)
    if note:
        res["note"] = [{"text": note}]
    return res


def problem_resource(p: Problem) -> dict[str, Any]:
    return _condition(rid=f"problem-{p.pk}", patient_id=p.patient_id, code=p.code, category="problem-list-item",
                      status=p.status, recorded=p.recorded_at, onset=p.onset_date, abatement=p.resolved_date,
                      encounter_id=p.encounter_id, note=p.note)


def diagnosis_resource(d: EncounterDiagnosis) -> dict[str, Any]:
    return _condition(rid=f"diagnosis-{d.pk}", patient_id=d.patient_id, code=d.code, category="encounter-diagnosis",
                      status="active", recorded=d.diagnosed_at, encounter_id=d.encounter_id, note=d.note)


def _quantity(value: Decimal, spec: Any) -> dict[str, Any]:
    return {"value": _num(value), "unit": spec.unit_label, "system": UCUM, "code": spec.unit}


def observation_resource(o: Observation) -> dict[str, Any]:
    spec = OBSERVATION_SPECS[o.kind]
    category = "laboratory" if o.kind == ObservationKind.GLUCOSE else "vital-signs"
    res: dict[str, Any] = {
        "resourceType": "Observation", "id": str(o.pk), "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": spec.loinc, "display": spec.loinc_display}],
                 "text": str(ObservationKind(o.kind).label)},
        "subject": _ref("Patient", o.patient_id),
        "effectiveDateTime": o.effective_at.isoformat(),
        "performer": [_ref("Patient", o.patient_id) if o.source == "patient" else _ref("Practitioner", o.recorded_by_id)],
    }
    if o.kind == ObservationKind.BLOOD_PRESSURE:
        assert o.value2 is not None  # noqa: S101 - a database constraint guarantees it for blood pressure
        res["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": SYSTOLIC_LOINC[0], "display": SYSTOLIC_LOINC[1]}]},
             "valueQuantity": _quantity(o.value, spec)},
            {"code": {"coding": [{"system": LOINC, "code": spec.loinc2, "display": spec.loinc2_display}]},
             "valueQuantity": _quantity(o.value2, spec)},
        ]
    else:
        res["valueQuantity"] = _quantity(o.value, spec)
    if o.is_out_of_range:
        res["interpretation"] = [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "A", "display": "Abnormal"}]}]
    if o.encounter_id:
        res["encounter"] = _ref("Encounter", o.encounter_id)
    return res


def allergy_resource(a: Allergy) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "AllergyIntolerance", "id": str(a.pk),
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                       "code": a.status}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
        "category": [a.category],
        "criticality": "high" if a.severity in (AllergySeverity.SEVERE, AllergySeverity.LIFE_THREATENING) else "low",
        "code": {"text": a.substance},
        "patient": _ref("Patient", a.patient_id),
        "recordedDate": a.recorded_at.isoformat(),
    }
    if a.reaction:
        severity = "severe" if a.severity == AllergySeverity.LIFE_THREATENING else a.severity
        res["reaction"] = [{"manifestation": [{"text": a.reaction}], "severity": severity}]
    return res


def medication_request_resources(rx: Prescription) -> list[dict[str, Any]]:
    out = []
    for item in rx.items.all():
        drug = item.drug
        med: dict[str, Any] = {"text": drug.name}
        if drug.atc_code:
            med["coding"] = [{"system": ATC, "code": drug.atc_code, "display": drug.generic_name_en}]
        repeat: dict[str, Any] = {"boundsPeriod": {"start": item.start_date.isoformat(),
                                                   "end": item.end_date.isoformat()}}
        if item.frequency in TIMES_PER_DAY:
            repeat.update(frequency=TIMES_PER_DAY[item.frequency], period=1, periodUnit="d")
            if item.times_of_day:
                repeat["timeOfDay"] = [f"{t}:00" for t in item.times_of_day]
        elif item.frequency == Frequency.EVERY_N_HOURS:
            repeat.update(frequency=1, period=item.interval_hours, periodUnit="h")
        route_code, route_display = ROUTE_SNOMED[item.route]
        dosage: dict[str, Any] = {
            "text": f"{_num(item.dose)} {item.dose_unit} {item.get_frequency_display()}"
                    + (f" — {item.instructions}" if item.instructions else ""),
            "timing": {"repeat": repeat},
            "route": {"coding": [{"system": SNOMED, "code": route_code, "display": route_display}]},
            "doseAndRate": [{"doseQuantity": {"value": _num(item.dose), "unit": item.dose_unit}}],
        }
        if item.frequency == Frequency.AS_NEEDED:
            dosage["asNeededBoolean"] = True
        res: dict[str, Any] = {
            "resourceType": "MedicationRequest", "id": str(item.pk),
            "groupIdentifier": {"system": "urn:medplatform:prescription", "value": str(rx.pk)},
            "status": MEDREQ_STATUS[rx.status], "intent": "order",
            "medicationCodeableConcept": med,
            "subject": _ref("Patient", rx.patient_id),
            "encounter": _ref("Encounter", rx.encounter_id),
            "authoredOn": rx.issued_at.isoformat(),
            "requester": _ref("Practitioner", rx.doctor_id),
            "dosageInstruction": [dosage],
            "dispenseRequest": {
                "validityPeriod": {"start": rx.issued_at.isoformat(), "end": rx.valid_until.isoformat()},
                "quantity": {"value": item.quantity, "unit": "pack"},
                "expectedSupplyDuration": {"value": item.duration_days, "unit": "days", "system": UCUM, "code": "d"},
            },
        }
        if item.allergy_override_reason:
            res["note"] = [{"text": f"Allergy warning overridden ({', '.join(item.allergy_conflicts)}): "
                                    f"{item.allergy_override_reason}"}]
        out.append(res)
    return out


def appointment_resource(a: Appointment) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Appointment", "id": str(a.pk), "status": APPOINTMENT_STATUS.get(a.status, "booked"),
        "start": a.start.isoformat(), "end": a.end.isoformat(),
        "participant": [
            {"actor": _ref("Patient", a.patient_id), "status": "accepted"},
            {"actor": _ref("Practitioner", a.doctor_id), "status": "accepted"},
        ],
        "serviceType": [{"text": a.get_kind_display()}],
    }
    if a.reason:
        res["description"] = a.reason[:500]
    if a.status == "cancelled" and a.cancel_reason:
        res["cancelationReason"] = {"text": a.cancel_reason}
    return res


def patient_everything(*, actor: User, patient: User, base_url: str) -> dict[str, Any]:
    """The Bundle of everything about `patient`, if the access policy lets `actor` read the record (a refusal is
    audited and raised). Audited as an export."""
    from ..selectors.records import readable

    readable(actor=actor, patient=patient, object_type="fhir_bundle")
    resources: list[dict[str, Any]] = [patient_resource(patient)]
    doctor_ids: set[int] = set()
    encounters = list(Encounter.objects.filter(patient=patient).select_related("appointment").order_by("occurred_at"))
    appointments = list(Appointment.objects.filter(patient=patient).order_by("start"))
    prescriptions = list(Prescription.objects.filter(patient=patient).prefetch_related("items__drug").order_by("issued_at"))
    observations = list(Observation.objects.filter(patient=patient).order_by("effective_at"))
    doctor_ids |= {e.doctor_id for e in encounters} | {a.doctor_id for a in appointments}
    doctor_ids |= {r.doctor_id for r in prescriptions}
    doctor_ids |= {o.recorded_by_id for o in observations if o.source != "patient"}
    for doctor in User.objects.filter(pk__in=doctor_ids).select_related("doctor_profile").order_by("pk"):
        resources.append(practitioner_resource(doctor))
    resources += [encounter_resource(e) for e in encounters]
    resources += [problem_resource(p) for p in Problem.objects.filter(patient=patient).select_related("code")]
    resources += [diagnosis_resource(d) for d in
                  EncounterDiagnosis.objects.filter(patient=patient).select_related("code").order_by("diagnosed_at")]
    resources += [observation_resource(o) for o in observations]
    resources += [allergy_resource(a) for a in Allergy.objects.filter(patient=patient).order_by("recorded_at")]
    for rx in prescriptions:
        resources += medication_request_resources(rx)
    resources += [appointment_resource(a) for a in appointments]
    base = base_url.rstrip("/")
    bundle = {
        "resourceType": "Bundle", "type": "searchset", "total": len(resources),
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match" if r["resourceType"] == "Patient" else "include"}} for r in resources],
    }
    audit_record(actor=actor, action="export", object_type="fhir_bundle", object_id=patient.pk, subject=patient,
                 detail={"resources": len(resources)})
    return bundle
