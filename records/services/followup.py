"""A doctor accepts a patient's uploaded record from another hospital (outpatient record, discharge summary,
diagnosis certificate) as the in-person diagnosis an online follow-up continues (《互联网诊疗管理办法（试行）》
第十六条; the rule itself is consult.services.followup). The documents are this app's, so the access check is
here; the accepted fact is written by consult."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from consult.models import AcceptedPriorRecord
from consult.services.followup import prior_record_accept

from ..models import HealthDocument


def document_accept_as_prior_diagnosis(*, doctor: User, document_id: int, code: str, kind: str,
                                       diagnosed_on: dt.date | None = None, institution: str = ""
                                       ) -> AcceptedPriorRecord:
    """Accept document `document_id` as the record of an in-person diagnosis `code`. Only a doctor who may
    change the patient's record may (anyone else: not found, audited). Raises ApplicationError for an unknown
    code or kind of record."""
    policy.require(policy.can(doctor, "prescription.write"), actor=doctor, object_type="prior_record",
                   action=policy.Action.WRITE, status=403, message=_("Only a doctor can accept a prior record."))
    document = policy.obtain(HealthDocument.objects.select_related("patient"), document_id, actor=doctor,
                             object_type="health_document", action=policy.Action.WRITE,
                             decide=lambda d: policy.patient_record(doctor, d.patient_id, policy.Action.WRITE),
                             message=_("Document not found."))
    return prior_record_accept(doctor=doctor, patient=document.patient, code=code, kind=kind,
                               document_id=document.pk, diagnosed_on=diagnosed_on, institution=institution)
