"""Analytics' own metrics: none beyond baifang_common's.

The event metrics measure the read model's work and lag (baifang_event_consume_seconds by outcome,
baifang_event_age_seconds when an event is applied); the gRPC metrics the team view. A metric of
analytics' own is declared here.
"""
