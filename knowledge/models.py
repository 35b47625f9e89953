"""The knowledge graph as two tables (typed nodes, typed weighted edges with their source), and the triage
answers kept on a patient's record. See docs/knowledge.md for why tables and not a graph database."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class NodeKind(models.TextChoices):
    DISEASE = "disease", _("disease")
    SYMPTOM = "symptom", _("symptom")
    DEPARTMENT = "department", _("department")
    DRUG = "drug", _("drug")
    ICD10 = "icd10", _("ICD-10 code")
    HPO = "hpo", _("HPO term")


class EdgeKind(models.TextChoices):
    IS_A = "is_a", _("is a")  # symptom → broader symptom; ICD-10 code → category → block → chapter
    HAS_SYMPTOM = "has_symptom", _("has symptom")  # disease → symptom
    CODED_AS = "coded_as", _("coded as")  # disease → ICD-10 code
    SEEN_IN = "seen_in", _("seen in")  # ICD-10 chapter or block → department
    TREATS = "treats", _("treats")  # catalogue drug → ICD-10 code (its indication)
    SAME_AS = "same_as", _("same as")  # symptom → the HPO term of the same name (the rarecases vocabulary)


class Node(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=NodeKind.choices)
    # DOID:…, SYMP:…, HP:…, a department code, an ICD-10 code or range ("K35-K38"), "drug:<id>".
    key = models.CharField(_("identifier"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300, blank=True)
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)
    # Names and synonyms in both languages, lower case, one text to search (JSON text escapes Chinese on SQLite).
    search_text = models.TextField(_("search text"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="knowledge_node_kind_key")]
        ordering = ["kind", "key"]
        verbose_name = _("knowledge node")
        verbose_name_plural = _("knowledge nodes")

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} {self.name_en}"

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


class Edge(models.Model):
    src = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="out_edges")
    dst = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="in_edges")
    kind = models.CharField(_("kind"), max_length=12, choices=EdgeKind.choices)
    # Where the fact comes from: "DO" (Disease Ontology), "SYMP", "WHO-ICD10", "project" (tables we wrote).
    source = models.CharField(_("source"), max_length=20)
    weight = models.FloatField(_("weight"), default=1.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["src", "dst", "kind"], name="knowledge_edge_src_dst_kind")]
        indexes = [models.Index(fields=["dst", "kind"], name="knowledge_edge_dst_kind")]
        verbose_name = _("knowledge edge")
        verbose_name_plural = _("knowledge edges")

    def __str__(self) -> str:
        return f"{self.src_id} -{self.kind}-> {self.dst_id}"


class TriageRecord(models.Model):
    """A logged-in patient's triage answer: what was found and where it sent them (not the free text)."""
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="triage_records",
                                verbose_name=_("patient"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)
    urgency = models.CharField(_("urgency"), max_length=12)
    red_flags = models.JSONField(_("red flags"), default=list, blank=True)
    departments = models.JSONField(_("departments"), default=list, blank=True)  # codes, best first
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)  # [{"id", "negated"}]
    conditions = models.JSONField(_("candidate conditions"), default=list, blank=True)  # DOIDs, best first

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("triage record")
        verbose_name_plural = _("triage records")

    def __str__(self) -> str:
        return f"triage {self.pk} {self.urgency}"
