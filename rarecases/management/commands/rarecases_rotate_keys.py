from __future__ import annotations

from django.core.management.base import BaseCommand

from rarecases.services import peer_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every peer secret under the newest key of RARECASES_PEER_KEYS (then drop the old key)."

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        self.stdout.write(f"re-encrypted {peer_rotate_keys()} peer secret(s)")
