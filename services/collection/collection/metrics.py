"""Collection's own metrics: none beyond baifang_common's.

The gRPC metrics measure the catalogue reads; the event metrics (baifang_event_*) the published
`sku.upserted` and the ownership cache fed by `customer.assigned`. A metric of collection's own is
declared here.
"""
