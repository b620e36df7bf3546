"""HTTP routes per area; every router carries the API prefix so route templates are full paths."""

API_PREFIX = "/api/v1"
