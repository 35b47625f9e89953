"""Database sessions whose per-request read is one statement compiled once (platform_site.db.built_once).

Django's `Session.objects.get(session_key=…, expire_date__gt=now)` spent more CPU building the query than
the database spent answering it, on every logged-in page (bench/booking.py). Same row, same expiry rule,
same decoding; writes are Django's."""
from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from platform_site.db import built_once


def _read_sql() -> str:
    from django.contrib.sessions.models import Session

    qn = connection.ops.quote_name
    meta = Session._meta
    return (f"SELECT {qn(meta.get_field('session_data').column)} FROM {qn(meta.db_table)} "
            f"WHERE {qn(meta.get_field('session_key').column)} = %s "
            f"AND {qn(meta.get_field('expire_date').column)} > %s")


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):  # type: ignore[no-untyped-def]
        key = self.session_key
        if key is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(built_once("accounts.session_read", _read_sql),
                           [key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=key, session_data=row[0])
