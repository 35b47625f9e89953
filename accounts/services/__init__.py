"""accounts services: every write of the accounts app goes through one of these functions."""
from ..audit import audit_chain_verify, audit_record  # noqa: F401
from .care import (  # noqa: F401
    break_glass_minutes,
    break_glass_open,
    break_glass_review,
    care_grant_create,
    care_grant_revoke,
    care_relation_record,
    care_relation_set,
)
from .consent import (  # noqa: F401
    CONSENT_VERSIONS,
    consent_grant,
    consent_is_current,
    consent_withdraw,
    processing_withdrawn,
)
from .email import email_outbox_deliver, email_outbox_sweep  # noqa: F401
from .family import family_member_add  # noqa: F401
from .identity import (  # noqa: F401
    doctor_credential_record,
    identity_of,
    identity_verify,
    online_practice_gaps,
)
from .notifications import notification_mark_read, notify, notify_many  # noqa: F401
from .users import signup_expire_stale, user_create  # noqa: F401
