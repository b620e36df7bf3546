"""Planning's own metrics: none beyond baifang_common's.

The gRPC metrics (grpc_server_handled_total, grpc_server_handling_seconds) measure the visit list,
visit work and check-in support calls; the event metrics (baifang_event_*) the published visit
events and the worker's check-in safety net. A metric of planning's own is declared here.
"""
