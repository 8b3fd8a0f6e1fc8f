"""tariffs RECEIVER PUT from our CPO -> eRoamingPushPricingProductData (oicp-bridge.md §7.9).

One Tariff = one PricingProductDataRecord (ProductID = Tariff.id) in the data set of our
OperatorID for every EMP (ProviderID `*`). ActionType `update` when HBS has the product (the
stored previous Tariff, or acknowledged by this process), else `insert` (on HBS's 022 the other
once, see `push_either_way`). Options:
`max_power_kw` (MaximumProductChargingPower when no element restricts max_power; default 22),
`pricing_default_price` (PricingDefaultPrice, default 0: the price at EVSEs without assignment;
its currency and unit are the Tariff's). What is lost or refused is listed at `tariff_to_pricing`.
GAP: the EVSE assignment (eRoamingPushEVSEPricing from connectors' tariff_ids) is not pushed, and a
Tariff DELETE or PATCH is refused with 2001 (no call).
"""

from __future__ import annotations

from adapters.oicp.errors import Unmappable
from adapters.oicp.mapping import tariff_to_pricing
from adapters.oicp.models import PricingProductData, PushPricingProductData
from adapters.oicp_upstream import replies
from adapters.oicp_upstream.job import Action, Job, push_either_way
from hub.forwarding.contract import UpstreamResponse
from hub.types import PartyKey

__all__ = ["push_tariff"]


async def push_tariff(job: Job) -> UpstreamResponse:
    path = job.context.path
    if len(path) != 3:
        raise Unmappable("tariff_id", "OICP takes Tariffs one by one")
    tariff = {**job.body, "id": job.body.get("id") or path[2]}
    try:
        max_power = float(job.option("max_power_kw", 22))
        default_price = float(job.option("pricing_default_price", 0))
    except ValueError:
        raise Unmappable(
            "MaximumProductChargingPower", "options max_power_kw / pricing_default_price are no numbers"
        ) from None
    record = tariff_to_pricing(tariff, max_power_kw=max_power)
    key = (job.platform, "product", record.product_id)
    known = job.correlation.published.get(key)
    if known is None:
        known = await job.directory.get("tariffs", PartyKey.of(path[0], path[1]), path[2]) is not None
    operator = job.partners.our_operator_id()

    def build(action: Action) -> PushPricingProductData:
        data = PricingProductData(
            operator_id=operator,
            operator_name=str(job.option("operator_name", "OCPI hub"))[:100],
            provider_id="*",
            pricing_default_price=default_price,
            pricing_default_price_currency=record.product_price_currency,
            pricing_default_reference_unit=record.reference_unit,
            pricing_product_data_records=[record],
        )
        return PushPricingProductData(action_type=action, pricing_product_data=data)

    ack = await push_either_way(
        job, "eRoamingPushPricingProductData", build, "update" if known else "insert", operator=operator
    )
    if not ack.result:
        return replies.from_status(ack.status_code, elapsed_ms=job.elapsed_ms)
    job.correlation.published.put(key, True)
    return replies.ok(elapsed_ms=job.elapsed_ms)
