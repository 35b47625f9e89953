"""pharmacy services: every write of the pharmacy app goes through one of these functions."""
from .cart import (  # noqa: F401
    cart_add_check,
    cart_clear,
    cart_item_add,
    cart_item_remove,
    cart_item_update,
    cart_line_check,
)
from .catalogue import drug_create, drug_restock  # noqa: F401
from .common import order_for  # noqa: F401
from .orders import (  # noqa: F401
    order_approve,
    order_cancel,
    order_checkout,
    order_deliver,
    order_dispense,
    order_pay,
    order_refund,
    order_reject,
    order_ship,
    orders_expire_unpaid,
)
