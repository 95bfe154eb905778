"""Search attributes operators filter runs by in the Temporal UI (registered at server start)."""

from temporalio.common import SearchAttributeKey

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
ORDER_TOTAL = SearchAttributeKey.for_float("OrderTotal")
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
PARTNER_ID = SearchAttributeKey.for_keyword("PartnerId")
SUBORDER_STATUS = SearchAttributeKey.for_keyword("SubOrderStatus")

ALL = [ORDER_STATUS, CUSTOMER_ID, ORDER_TOTAL, ORDER_ID, PARTNER_ID, SUBORDER_STATUS]
