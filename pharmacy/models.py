"""The drug catalogue (the one Drug model of the platform), stock ledger, carts, orders and payments.

Models hold data and invariants only; every write goes through `pharmacy.services`.
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    CAPSULE = "capsule", _("Capsule")
    SYRUP = "syrup", _("Syrup")
    INJECTION = "injection", _("Injection")
    CREAM = "cream", _("Cream")
    INHALER = "inhaler", _("Inhaler")
    DROPS = "drops", _("Drops")
    GRANULES = "granules", _("Granules")
    PATCH = "patch", _("Patch")
    OTHER = "other", _("Other")


class DrugCategory(models.TextChoices):
    ANALGESICS = "analgesics", _("Pain and fever")
    COLD_COUGH = "cold_cough", _("Cold and cough")
    ALLERGY = "allergy", _("Allergy")
    DIGESTIVE = "digestive", _("Digestive health")
    ANTIBIOTICS = "antibiotics", _("Antibiotics")
    ANTIVIRALS = "antivirals", _("Antivirals")
    CARDIOVASCULAR = "cardiovascular", _("Heart and blood pressure")
    DIABETES = "diabetes", _("Diabetes")
    RESPIRATORY = "respiratory", _("Asthma and COPD")
    MENTAL_HEALTH = "mental_health", _("Mental health and sleep")
    SKIN = "skin", _("Skin")
    EYE_EAR = "eye_ear", _("Eye and ear")
    VITAMINS = "vitamins", _("Vitamins and minerals")
    HORMONES = "hormones", _("Hormones and thyroid")
    MUSCULOSKELETAL = "musculoskeletal", _("Joints and muscles")
    UROLOGY = "urology", _("Urology")
    OTHER = "other", _("Other")


class ControlClass(models.TextChoices):
    """Drugs under special control (《麻醉药品和精神药品管理条例》, 《医疗用毒性药品管理办法》, 《放射性药品管理办法》):
    never on an online prescription nor sold online (《互联网诊疗管理办法（试行）》第十九条)."""

    NARCOTIC = "narcotic", _("Narcotic drug")
    PSYCHOTROPIC_1 = "psychotropic_1", _("Psychotropic drug, class I")
    PSYCHOTROPIC_2 = "psychotropic_2", _("Psychotropic drug, class II")
    MEDICAL_TOXIC = "medical_toxic", _("Medical toxic drug")
    RADIOACTIVE = "radioactive", _("Radioactive drug")
    OTHER_SPECIAL = "other_special", _("Other specially controlled drug")


class DrugQuerySet(models.QuerySet["Drug"]):
    def active(self) -> DrugQuerySet:
        return self.filter(is_active=True)

    def in_stock(self) -> DrugQuerySet:
        return self.filter(stock__gt=0)

    def search(self, text: str) -> DrugQuerySet:
        """Generic or brand name in English or Chinese, or an active ingredient / ATC code prefix."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(generic_name_en__icontains=text) | Q(generic_name_zh__icontains=text)
            | Q(brand_name_en__icontains=text) | Q(brand_name_zh__icontains=text)
            | Q(atc_code__istartswith=text)
        )


class Drug(models.Model):
    generic_name_en = models.CharField(_("generic name (English)"), max_length=200, db_index=True)
    generic_name_zh = models.CharField(_("generic name (Chinese)"), max_length=200, blank=True)
    brand_name_en = models.CharField(_("brand name (English)"), max_length=200, blank=True)
    brand_name_zh = models.CharField(_("brand name (Chinese)"), max_length=200, blank=True)
    form = models.CharField(_("dosage form"), max_length=20, choices=DosageForm.choices, default=DosageForm.TABLET)
    strength = models.CharField(_("strength"), max_length=100, blank=True)
    package_size = models.CharField(_("package size"), max_length=100, blank=True)
    is_prescription_only = models.BooleanField(_("prescription only"), default=False)
    # Empty: not specially controlled. Any class: not prescribable online, not sold online (docs/compliance.md).
    control_class = models.CharField(_("control class"), max_length=16, choices=ControlClass.choices, blank=True,
                                     db_index=True)
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    # Changed only by pharmacy.services (checkout, cancel, restock), each with a StockMovement row, so
    # that SUM(stock_movements.quantity) == stock holds for every drug.
    stock = models.PositiveIntegerField(_("stock on hand"), default=0)
    # Lower-case ingredient names; the allergy check compares them with recorded allergies' substances.
    active_ingredients = models.JSONField(_("active ingredients"), default=list, blank=True)
    atc_code = models.CharField(_("ATC code"), max_length=10, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, choices=DrugCategory.choices,
                                db_index=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    objects = DrugQuerySet.as_manager()

    class Meta:
        ordering = ["generic_name_en"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="drug_price_not_negative"),
            # PositiveIntegerField already checks >= 0 on PostgreSQL; named here so the oversell guard is explicit.
            models.CheckConstraint(condition=Q(stock__gte=0), name="drug_stock_not_negative"),
        ]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")

    def __str__(self) -> str:
        return f"{self.generic_name_en} {self.strength}".strip()

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("zh") and self.generic_name_zh:
            return f"{self.generic_name_zh} {self.strength}".strip()
        return str(self)

    @property
    def brand_name(self) -> str:
        if (get_language() or "").startswith("zh") and self.brand_name_zh:
            return self.brand_name_zh
        return self.brand_name_en


class StockMovementKind(models.TextChoices):
    OPENING = "opening", _("Opening balance")
    RESTOCK = "restock", _("Restock")
    SALE = "sale", _("Reserved by an order")
    RETURN = "return", _("Returned by a cancelled order")
    ADJUSTMENT = "adjustment", _("Adjustment")


class StockMovement(models.Model):
    """Append-only stock ledger: for every drug SUM(quantity) equals Drug.stock."""

    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="stock_movements", verbose_name=_("drug"))
    quantity = models.IntegerField(_("quantity"), help_text=_("Positive adds stock, negative removes it."))
    kind = models.CharField(_("kind"), max_length=20, choices=StockMovementKind.choices)
    order = models.ForeignKey("Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="stock_movements", verbose_name=_("order"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_not_zero")]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.drug_id} {self.quantity:+d} {self.kind}"


class Cart(models.Model):
    """One open cart per patient; emptied when an order is placed."""

    patient = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pharmacy_cart",
                                   verbose_name=_("patient"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart of {self.patient_id}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="+", verbose_name=_("drug"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # consult.PrescriptionItem this line is ordered against (prescription-only drugs). Kept as a plain id:
    # consult owns the row and validates every fill through consult.services.prescription_item_fill.
    prescription_item_id = models.PositiveBigIntegerField(_("prescription item"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cart", "drug"], name="cart_item_one_line_per_drug"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.drug_id}"

    @property
    def line_total(self) -> Decimal:
        return self.drug.price * self.quantity


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid")
    APPROVED = "approved", _("Approved by pharmacist")
    DISPENSED = "dispensed", _("Dispensed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected by pharmacist")
    REFUNDED = "refunded", _("Refunded")


# States before dispensing: the goods are still on our shelf, so cancelling returns them to stock.
BEFORE_DISPENSE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.APPROVED)
# The pharmacy's queue: paid orders the pharmacists review, dispense, ship — and delivered ones they may still
# refund. A pharmacist sees an order (and the prescription items it fills) only while it is in one of these.
IN_PHARMACY_QUEUE = (OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.DISPENSED, OrderStatus.SHIPPED,
                     OrderStatus.DELIVERED)
# Final states: nothing changes any more.
FINAL = (OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)


class OrderQuerySet(models.QuerySet["Order"]):
    def for_patient(self, patient: object) -> OrderQuerySet:
        return self.filter(patient=patient)

    def awaiting_review(self) -> OrderQuerySet:
        return self.filter(status=OrderStatus.PAID, requires_review=True)

    def ready_to_dispense(self) -> OrderQuerySet:
        return self.filter(Q(status=OrderStatus.APPROVED) | Q(status=OrderStatus.PAID, requires_review=False))


class Order(models.Model):
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pharmacy_orders",
                                verbose_name=_("patient"))
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING_PAYMENT, db_index=True)
    requires_review = models.BooleanField(_("needs pharmacist review"), default=False)
    recipient_name = models.CharField(_("recipient"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32)
    address = models.CharField(_("delivery address"), max_length=255)
    total = models.DecimalField(_("total (CNY)"), max_digits=12, decimal_places=2)
    payment_provider = models.CharField(_("payment method"), max_length=50)
    tracking_note = models.CharField(_("tracking note"), max_length=255, blank=True)
    review_note = models.CharField(_("pharmacist's note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative")]
        indexes = [models.Index(fields=["patient", "-created_at"], name="order_patient_recent")]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"

    @property
    def number(self) -> str:
        return f"RX{self.pk:07d}" if self.requires_review else f"OTC{self.pk:07d}"

    @property
    def can_cancel(self) -> bool:
        return self.status in BEFORE_DISPENSE

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("drug"))
    drug_name = models.CharField(_("drug"), max_length=300)  # snapshot as sold
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)
    # See CartItem.prescription_item_id.
    prescription_item_id = models.PositiveBigIntegerField(_("prescription item"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive")]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.drug_name}"

    @property
    def fill_reference(self) -> str:
        """The idempotency key of this line's prescription fill (consult's prescription_item_fill)."""
        return f"pharmacy-order-line-{self.pk}"


class OrderEvent(models.Model):
    """Every status change of an order: who, when, from what to what, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(pgettext_lazy("status change", "from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class PaymentStatus(models.TextChoices):
    CAPTURED = "captured", _("Captured")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(_("payment method"), max_length=50)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices,
                              default=PaymentStatus.CAPTURED)
    reference = models.CharField(_("reference"), max_length=100)
    refund_reference = models.CharField(_("refund reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("paid at"), auto_now_add=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.status}"
