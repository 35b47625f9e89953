"""Admin: peers (secret set through a write-only field, stored encrypted), outbox and delivery log with
retry, trend model versions and metrics, thresholds, the platform profile, cases and rarity runs."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

from .models import (
    Case,
    CaseReference,
    DeliveryAttempt,
    MatchRequest,
    MatchRequestResult,
    MmeNode,
    OutboxMessage,
    OutboxStatus,
    Peer,
    PlatformProfile,
    RarecasesSettings,
    RarityRun,
    ShareDecision,
    TrendModel,
)
from .services import federation, mme


class PeerForm(forms.ModelForm):
    secret = forms.CharField(label=_("Shared secret"), required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("Write-only; stored encrypted. Leave empty to keep the current secret."))

    class Meta:
        model = Peer
        fields = ["name", "instance_id", "url", "key_id", "tags", "enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.instance.pk and not data.get("secret"):
            self.add_error("secret", _("A new peer needs a shared secret."))
        if data.get("secret") and len(data["secret"]) < 16:
            self.add_error("secret", _("The shared secret must be at least 16 characters."))
        return data


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    form = PeerForm
    list_display = ["name", "instance_id", "url", "enabled", "pending", "delivered", "rejected", "profile_fetched_at"]
    list_filter = ["enabled"]
    actions = ["fetch_profiles"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).annotate(
            n_pending=Count("outbox", filter=Q(outbox__status=OutboxStatus.PENDING)),
            n_delivered=Count("outbox", filter=Q(outbox__status=OutboxStatus.DELIVERED)),
            n_rejected=Count("outbox", filter=Q(outbox__status=OutboxStatus.REJECTED)))

    @admin.display(description=_("pending"), ordering="n_pending")
    def pending(self, obj: Peer) -> int:
        return obj.n_pending  # type: ignore[attr-defined]

    @admin.display(description=_("delivered"), ordering="n_delivered")
    def delivered(self, obj: Peer) -> int:
        return obj.n_delivered  # type: ignore[attr-defined]

    @admin.display(description=_("rejected"), ordering="n_rejected")
    def rejected(self, obj: Peer) -> int:
        return obj.n_rejected  # type: ignore[attr-defined]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        secret = form.cleaned_data.get("secret")
        if secret:
            from . import crypto

            obj.secret_encrypted = crypto.encrypt(secret)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Fetch the selected peers' profiles"))
    def fetch_profiles(self, request, queryset):  # type: ignore[no-untyped-def]
        for peer in queryset:
            try:
                federation.peer_fetch_profile(peer=peer)
            except ApplicationError as exc:
                self.message_user(request, f"{peer}: {exc.message}", messages.ERROR)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "ok", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "peer", "case", "status", "attempts", "next_attempt_at", "last_error", "created_at"]
    list_filter = ["status", "kind", "peer"]
    readonly_fields = ["kind", "peer", "case", "payload", "status", "attempts", "next_attempt_at", "last_error",
                       "created_at", "delivered_at"]
    inlines = [AttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Retry the selected messages now"))
    def retry_now(self, request, queryset):  # type: ignore[no-untyped-def]
        n = federation.outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        federation.outbox_sweep()
        self.message_user(request, _("%(n)d message(s) queued again.") % {"n": n})


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "message", "status_code", "ok", "duration_ms", "error"]
    list_filter = ["ok"]
    readonly_fields = ["message", "at", "status_code", "ok", "error", "duration_ms"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(TrendModel)
class TrendModelAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "created_at", "n_train", "n_holdout", "period_hours", "holdout_mse",
                    "baseline_mse", "is_active"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["version", "kind", "parent", "created_at", "n_train", "n_holdout", "period_hours", "metrics",
                       "params"]
    fields = [*readonly_fields, "is_active"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).defer("blob")

    @admin.display(description=_("hold-out MSE"))
    def holdout_mse(self, obj: TrendModel) -> Any:
        return obj.metrics.get("holdout_mse", obj.metrics.get("old_holdout_mse_after"))

    @admin.display(description=_("baseline MSE"))
    def baseline_mse(self, obj: TrendModel) -> Any:
        return obj.metrics.get("baseline_mse")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(RarecasesSettings)
class SettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "rare_rate", "window_days", "prediction_threshold", "propagation_preset",
                    "base_period_hours"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not RarecasesSettings.objects.exists()


@admin.register(PlatformProfile)
class PlatformProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "instance_id", "region", "base_url"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "origin", "category", "is_current", "received_from", "created_at"]
    list_filter = ["is_current", "origin", "category"]
    search_fields = ["title", "search_text"]
    exclude = ["source_encounter", "search_text", "search_tokens"]
    readonly_fields = [f.name for f in Case._meta.fields
                       if f.name not in ("source_encounter", "search_text", "search_tokens")]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(CaseReference)
class CaseReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "origin", "case_uuid", "url", "found_at", "notified_at"]
    fields = ["origin", "case_uuid", "title", "url"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RarityRun)
class RarityRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "total_patients", "codes_seen", "rare_codes", "candidates"]
    readonly_fields = ["started_at", "window_start", "window_end", "total_patients", "codes_seen", "rare_codes",
                       "candidates", "params"]


@admin.register(ShareDecision)
class ShareDecisionAdmin(admin.ModelAdmin):
    list_display = ["case", "decided_at", "outcome", "first_index", "second_index", "threshold"]
    list_filter = ["outcome"]
    readonly_fields = ["case", "decided_at", "first_index", "second_index", "threshold", "outcome", "first_model",
                       "second_model", "peers", "decided_by"]


class MmeNodeForm(forms.ModelForm):
    token_out = forms.CharField(
        label=_("Token the peer gave us"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Sent as X-Auth-Token with our queries. Write-only; stored encrypted. Leave empty to keep it."))

    class Meta:
        model = MmeNode
        fields = ["name", "description", "base_url", "content_type", "timeout_seconds", "search_enabled",
                  "accept_queries"]


@admin.register(MmeNode)
class MmeNodeAdmin(admin.ModelAdmin):
    """MME peers (join-protocol.md). A new peer gets an incoming token at once, shown a single time (only
    its SHA-256 is stored); the action issues a new one, which ends the old."""

    form = MmeNodeForm
    list_display = ["name", "base_url", "search_enabled", "accept_queries", "token_in_hint", "n_requests"]
    list_filter = ["search_enabled", "accept_queries"]
    readonly_fields = ["token_in_hint", "created_at"]
    actions = ["issue_tokens"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).annotate(requests_n=Count("requests"))

    @admin.display(description=_("requests received"), ordering="requests_n")
    def n_requests(self, obj: MmeNode) -> int:
        return obj.requests_n  # type: ignore[attr-defined]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("token_out"):
            mme.node_set_token_out(node=obj, token=form.cleaned_data["token_out"])
        if not obj.token_in_hash:
            self._show(request, obj, mme.node_issue_token(node=obj))

    def _show(self, request, node: MmeNode, token: str) -> None:  # type: ignore[no-untyped-def]
        self.message_user(request, _("Token for %(peer)s to send us (shown once, give it to the peer over an "
                                     "encrypted channel): %(token)s") % {"peer": node.name, "token": token},
                          messages.WARNING)

    @admin.action(description=_("Issue a new incoming token (the old one stops working)"))
    def issue_tokens(self, request, queryset):  # type: ignore[no-untyped-def]
        for node in queryset:
            self._show(request, node, mme.node_issue_token(node=node))


class MatchRequestResultInline(admin.TabularInline):
    model = MatchRequestResult
    extra = 0
    can_delete = False
    readonly_fields = ["rank", "case", "score", "why"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(MatchRequest)
class MatchRequestAdmin(admin.ModelAdmin):
    """The log of MME queries peers sent us (read-only)."""

    list_display = ["received_at", "node", "query_id", "is_test", "n_results", "duration_ms"]
    list_filter = ["node", "is_test"]
    readonly_fields = ["node", "received_at", "query_id", "query", "is_test", "n_results", "duration_ms"]
    inlines = [MatchRequestResultInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
