"""rarecases data: platform profile, peers, rarity runs, de-identified cases, access events, trend models,
sharing decisions and the federation outbox. Data and invariants only; every write is in services/."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlatformProfile(models.Model):
    """S100–S200: who this instance is. A single row (pk=1); peers fetch it at GET /federation/profile/."""

    instance_id = models.SlugField(_("instance id"), max_length=64, unique=True,
                                   help_text=_("Stable identifier of this platform in the federation."))
    name = models.CharField(_("name"), max_length=150)
    region = models.CharField(_("region"), max_length=64, blank=True)
    base_url = models.URLField(_("public URL"), blank=True)
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    data_categories = models.JSONField(_("data categories"), default=list, blank=True)
    feature_tags = models.JSONField(
        _("feature tags"), default=list, blank=True,
        help_text=_("Tags such as chapter:E or block:E70-E90; a peer is related to a case when tags overlap."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("platform profile")

    def __str__(self) -> str:
        return f"{self.name} ({self.instance_id})"


class Peer(models.Model):
    """Another instance of the platform. The shared HMAC secret is stored encrypted (MultiFernet)."""

    name = models.CharField(_("name"), max_length=150)
    instance_id = models.SlugField(_("instance id"), max_length=64, unique=True)
    url = models.URLField(_("base URL"))
    key_id = models.CharField(_("key id"), max_length=64, unique=True)
    secret_encrypted = models.TextField(_("secret (encrypted)"), editable=False)
    tags = models.JSONField(_("feature tags"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    profile = models.JSONField(_("fetched profile"), default=dict, blank=True)
    profile_fetched_at = models.DateTimeField(_("profile fetched at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("peer platform")
        verbose_name_plural = _("peer platforms")

    def __str__(self) -> str:
        return f"{self.name} ({self.instance_id})"


class RarecasesSettings(models.Model):
    """Thresholds an admin may change (single row, pk=1). Every run copies what it used into its params."""

    rare_rate = models.FloatField(_("rarity threshold (incidence)"), default=5 / 10_000,
                                  help_text=_("A code at or below this share of distinct patients is rare "
                                              "(default 5 in 10,000, the EU definition)."))
    window_days = models.PositiveIntegerField(_("analysis window (days)"), default=3650)
    min_patients_for_rate = models.PositiveIntegerField(
        _("minimum patients seen"), default=1,
        help_text=_("Below this many distinct patients the incidence is not computed."))
    prediction_threshold = models.FloatField(_("sharing threshold (trend index)"), default=1.0)
    propagation_preset = models.FloatField(_("propagation index preset for incremental learning"), default=2.0)
    base_period_hours = models.FloatField(_("base period (hours)"), default=168.0)
    min_period_hours = models.FloatField(_("shortest period (hours)"), default=1.0)
    reference_traffic = models.PositiveIntegerField(
        _("reference traffic per base period"), default=1000,
        help_text=_("Above this many accesses per base period the period shrinks in proportion."))
    replay_fraction = models.FloatField(_("replay share for incremental learning"), default=1.0)
    refresh_hours = models.FloatField(_("refresh period (hours)"), default=24.0)
    mme_max_results = models.PositiveSmallIntegerField(
        _("MME: most results per query"), default=5,
        help_text=_("How many patients one Matchmaker Exchange query returns at most, best first."))
    mme_threshold = models.FloatField(
        _("MME: lowest score returned"), default=0.35,
        help_text=_("Matches scoring below this (0–1) are not returned: no match rather than a vague one."))
    mme_contact_name = models.CharField(_("MME: contact name"), max_length=255, blank=True,
                                        help_text=_("Shown as the contact of this platform's patients."))
    mme_contact_href = models.CharField(
        _("MME: contact link"), max_length=255, blank=True,
        help_text=_("A public URL or mailto: address for following up a match (MME contact.href)."))
    mme_disclaimer = models.TextField(_("MME: disclaimer"), blank=True)

    class Meta:
        verbose_name = _("rare-case settings")
        verbose_name_plural = _("rare-case settings")

    def __str__(self) -> str:
        return str(_("Rare-case settings"))


class RarityRun(models.Model):
    """One rarity analysis (S300–S360) with the parameters it used."""

    started_at = models.DateTimeField(default=timezone.now)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    total_patients = models.PositiveIntegerField(default=0)
    codes_seen = models.PositiveIntegerField(default=0)
    rare_codes = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("rarity run")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.rare_codes})"


class RareCode(models.Model):
    run = models.ForeignKey(RarityRun, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=8, db_index=True)
    patients = models.PositiveIntegerField()
    incidence = models.FloatField()
    block = models.CharField(max_length=10, blank=True)
    chapter = models.CharField(max_length=10, blank=True)
    orpha = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["incidence", "code"]
        constraints = [models.UniqueConstraint(fields=["run", "code"], name="rarecode_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.code} ({self.patients})"


class RareCandidate(models.Model):
    """An encounter diagnosis of a rare code (S330): a doctor may confirm it into a case."""

    run = models.ForeignKey(RarityRun, on_delete=models.CASCADE, related_name="candidate_rows")
    diagnosis = models.ForeignKey("consult.EncounterDiagnosis", on_delete=models.CASCADE, related_name="+")
    encounter = models.ForeignKey("consult.Encounter", on_delete=models.CASCADE, related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=8)
    block = models.CharField(max_length=10, blank=True)
    incidence = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "diagnosis"], name="candidate_unique_per_run")]

    def __str__(self) -> str:
        return f"{self.code} @ {self.encounter_id}"


class CaseQuerySet(models.QuerySet["Case"]):
    def current(self) -> CaseQuerySet:
        return self.filter(is_current=True)

    def local(self) -> CaseQuerySet:
        return self.filter(received_from__isnull=True)


class Case(models.Model):
    """A de-identified rare case (S400). (origin, uuid, version) identifies it across the federation."""

    case_uuid = models.UUIDField(default=uuid.uuid4, db_index=True)
    version = models.PositiveIntegerField(default=1)
    origin = models.SlugField(_("origin platform"), max_length=64)
    is_current = models.BooleanField(default=True, help_text=_("The newest version of this case held here."))
    title = models.CharField(_("title"), max_length=200)
    age_band = models.CharField(_("age band"), max_length=10)
    sex = models.CharField(_("sex"), max_length=10)
    region = models.CharField(_("region"), max_length=64, blank=True)
    codes = models.JSONField(_("diagnosis codes"), default=list)
    category = models.CharField(_("category (ICD-10 block)"), max_length=10, db_index=True, blank=True)
    chapter = models.CharField(_("ICD-10 chapter"), max_length=10, blank=True)
    orpha = models.JSONField(_("rare-disease classes (Orphanet)"), default=list, blank=True)
    phenotypes = models.JSONField(_("phenotype terms (HPO)"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    treatment = models.TextField(_("treatment"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    tags = models.JSONField(default=list, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    # Word tokens for full-text search (jieba-segmented Chinese, lower-cased English, normalised codes), indexed
    # on PostgreSQL by a GIN index over to_tsvector('simple', …) (migration 0003); see rarecases/textsearch.py.
    search_tokens = models.TextField(editable=False, blank=True)
    # Local provenance (never sent): which encounter and doctor. Null for cases received from peers.
    source_encounter = models.ForeignKey("consult.Encounter", on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    received_from = models.ForeignKey(Peer, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rare case")
        verbose_name_plural = _("rare cases")
        constraints = [
            # Idempotent receipt: a redelivered or replayed case can never be stored twice.
            models.UniqueConstraint(fields=["origin", "case_uuid", "version"], name="case_unique_origin_uuid_version"),
        ]
        indexes = [models.Index(fields=["is_current", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def sex_label(self) -> str:
        """The sex in the reader's language when it is one of the platform's values (peers send the same codes);
        any other value as received."""
        from accounts.models import Sex

        return str(Sex(self.sex).label) if self.sex in Sex.values else self.sex


class EventKind(models.TextChoices):
    VIEW = "view", _("View")
    DOWNLOAD = "download", _("Download")
    CITE = "cite", _("Citation in a consultation")
    FORWARD = "forward", _("Forward to a colleague")
    SHARE_PEER = "share_peer", _("Shared to a peer platform")
    REMOTE_VIEW = "remote_view", _("Viewed on a peer")
    REMOTE_USE = "remote_use", _("Used on a peer")


USAGE_KINDS = (EventKind.DOWNLOAD, EventKind.CITE, EventKind.FORWARD, EventKind.SHARE_PEER, EventKind.REMOTE_USE)


class CaseEvent(models.Model):
    """One access of a case (S500) and one edge of its propagation path (S510–S520).

    `source_node` → `target_node` are graph nodes such as "platform-a", "platform-a/user:12", "platform-b".
    Usage reported back by peers is stored here too, with `peer` set and `event_uuid` for de-duplication.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    peer = models.ForeignKey(Peer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_node = models.CharField(max_length=120, blank=True)
    target_node = models.CharField(max_length=120, blank=True)
    depth = models.PositiveSmallIntegerField(default=0, help_text=_("Hops from the origin platform."))
    event_uuid = models.UUIDField(default=uuid.uuid4, unique=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_node} → {self.target_node}"


class CaseFollow(models.Model):
    case_uuid = models.UUIDField(db_index=True)
    origin = models.SlugField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["origin", "case_uuid", "user"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.case_uuid}"


class CaseCitation(models.Model):
    """A doctor cited a case in a consultation (consult never imports rarecases: a string FK)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="citations")
    appointment = models.ForeignKey("consult.Appointment", on_delete=models.CASCADE, related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "appointment"], name="citation_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} in {self.appointment_id}"


class CaseReference(models.Model):
    """Related material for a case (S1010): a reference an admin attaches, or a matching case from a peer."""

    case_uuid = models.UUIDField(db_index=True)
    origin = models.SlugField(max_length=64)
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("link"), blank=True)
    related_case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    found_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("case reference")
        constraints = [models.UniqueConstraint(fields=["origin", "case_uuid", "related_case"],
                                               condition=Q(related_case__isnull=False), name="reference_unique_case")]

    def __str__(self) -> str:
        return self.title


class TrendModel(models.Model):
    """A trained access-trend model (S600–S700) or an incremental update of one (S540–S544)."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full training")
        INCREMENTAL = "incremental", _("Incremental learning")

    version = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    n_train = models.PositiveIntegerField(default=0)
    n_holdout = models.PositiveIntegerField(default=0)
    period_hours = models.FloatField(default=0)
    metrics = models.JSONField(default=dict)
    params = models.JSONField(default=dict)
    blob = models.BinaryField(editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("trend model")

    def __str__(self) -> str:
        return f"v{self.version} ({self.kind})"


class ShareDecision(models.Model):
    """S800–S840 for one case: the first and (if needed) second prediction and what was decided."""

    class Outcome(models.TextChoices):
        FIRST = "first", _("Shared: first prediction passed")
        SECOND = "second", _("Shared: second prediction passed")
        HELD = "held", _("Held: neither prediction passed")
        MANUAL = "manual", _("Shared by a doctor")
        NO_PEERS = "no_peers", _("Passed, but no related peer")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    decided_at = models.DateTimeField(default=timezone.now)
    first_index = models.FloatField(null=True)
    second_index = models.FloatField(null=True)
    threshold = models.FloatField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    first_model = models.ForeignKey(TrendModel, on_delete=models.SET_NULL, null=True, related_name="+")
    second_model = models.ForeignKey(TrendModel, on_delete=models.SET_NULL, null=True, related_name="+")
    peers = models.JSONField(default=list)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", pgettext_lazy("federation delivery", "Delivered")
    REJECTED = "rejected", _("Rejected by the peer")


class OutboxMessage(models.Model):
    """A message to a peer, written in the same transaction as the decision that caused it (S900–S1000)."""

    class Kind(models.TextChoices):
        CASE = "case", _("Case")
        USAGE = "usage", _("Usage report")

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CASE)
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="outbox")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbox message")
        constraints = [
            # A case version goes to a peer at most once, whichever path queued it.
            models.UniqueConstraint(fields=["peer", "case"], condition=Q(kind="case"), name="outbox_case_once_per_peer"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.peer_id} ({self.status})"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("delivery attempt")

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code or self.error[:30]}"


class SeenNonce(models.Model):
    """Nonces of accepted signed requests, kept for the replay window: a replay fails the unique insert."""

    key_id = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="nonce_unique")]

    def __str__(self) -> str:
        return self.nonce


# --- Matchmaker Exchange (MME) --------------------------------------------------------------------------

MME_CONTENT_TYPES = [
    ("application/vnd.ga4gh.matchmaker.v1.0+json", "MME v1.0"),
    ("application/vnd.ga4gh.matchmaker.v1.1+json", "MME v1.1"),
]


class MmeNode(models.Model):
    """A Matchmaker Exchange peer (mme-apis join-protocol.md). Two directions, each optional: the token the
    peer sends us in X-Auth-Token (stored only as its SHA-256; the admin shows a new token once), and — to
    search the peer — its base URL and the token it gave us (stored encrypted, like peers' secrets)."""

    name = models.CharField(_("name"), max_length=150)
    description = models.CharField(_("description"), max_length=300, blank=True)
    base_url = models.URLField(_("base URL"), blank=True,
                               help_text=_("We send queries to this URL followed by /match. Empty: we never query it."))
    token_out_encrypted = models.TextField(_("our token at the peer (encrypted)"), blank=True, editable=False)
    token_in_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    token_in_hint = models.CharField(_("incoming token ends with"), max_length=8, blank=True, editable=False)
    accept_queries = models.BooleanField(_("accepts queries from this peer"), default=True)
    search_enabled = models.BooleanField(_("searched when a doctor looks for similar patients"), default=True)
    content_type = models.CharField(_("media type we send"), max_length=60, choices=MME_CONTENT_TYPES,
                                    default=MME_CONTENT_TYPES[0][0])
    timeout_seconds = models.FloatField(_("time-out (seconds)"), default=10.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Matchmaker Exchange peer")
        verbose_name_plural = _("Matchmaker Exchange peers")

    def __str__(self) -> str:
        return self.name


class ProfileSource(models.TextChoices):
    LOCAL = "local", _("Confirmed on this platform")
    RECEIVED = "received", _("Received from a peer platform")
    IMPORTED = "imported", _("Imported MME patient")


class MatchProfile(models.Model):
    """What matching knows of a case, in MME terms: HPO features with observed yes/no, disorders (OMIM,
    Orphanet), genes and variants, sex, onset, inheritance, and — for imported MME patients — their id and the
    submitter's contact. One per case version; the HPO closures are computed when the index is built."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="match_profile")
    source = models.CharField(max_length=10, choices=ProfileSource.choices)
    external_id = models.CharField(_("MME patient id"), max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)
    contact = models.JSONField(default=dict, blank=True)
    sex = models.CharField(max_length=16, blank=True)
    age_of_onset = models.CharField(max_length=10, blank=True)
    inheritance_mode = models.CharField(max_length=10, blank=True)
    features = models.JSONField(default=list, blank=True)
    disorders = models.JSONField(default=list, blank=True)
    genomic_features = models.JSONField(default=list, blank=True)
    is_test = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("matching profile")
        constraints = [
            # Importing the same file twice updates the same case instead of adding a second one.
            models.UniqueConstraint(fields=["external_id"], condition=Q(source="imported"), name="mme_import_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ({self.source})"


class MatchRequest(models.Model):
    """A /mme/match query a peer sent us (authenticated ones only). Test queries are kept, marked, and neither
    notified nor counted in /mme/metrics."""

    node = models.ForeignKey(MmeNode, on_delete=models.PROTECT, related_name="requests")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    query_id = models.CharField(max_length=255)
    query = models.JSONField()
    is_test = models.BooleanField(default=False)
    n_results = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("incoming match request")

    def __str__(self) -> str:
        return f"{self.node_id}: {self.query_id}"


class MatchRequestResult(models.Model):
    """One of our cases returned to a peer's query: what the case's doctor sees as "someone looked for a
    patient like yours"."""

    request = models.ForeignKey(MatchRequest, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mme_hits")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    why = models.JSONField(default=dict)

    class Meta:
        ordering = ["request", "rank"]
        indexes = [models.Index(fields=["case", "request"])]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.rank}"


class SimilarSearch(models.Model):
    """A doctor's "find similar patients" for a case: the local results at once, each MME peer by a task."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="similar_searches")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    include_test = models.BooleanField(default=False)
    query = models.JSONField()
    local_results = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} by {self.doctor_id}"


class PeerQueryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Asking")
    DONE = "done", _("Answered")
    FAILED = "failed", _("No answer")


class SimilarSearchPeer(models.Model):
    """One MME peer's part of a search: the answer (results as received, validated) or why there is none."""

    search = models.ForeignKey(SimilarSearch, on_delete=models.CASCADE, related_name="peer_queries")
    node = models.ForeignKey(MmeNode, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=PeerQueryStatus.choices, default=PeerQueryStatus.PENDING)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["search", "node__name"]
        constraints = [models.UniqueConstraint(fields=["search", "node"], name="similar_search_peer_once")]

    def __str__(self) -> str:
        return f"{self.search_id} → {self.node_id} ({self.status})"
