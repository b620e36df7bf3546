"""Test policy: unit tests are pure; integration and e2e tests use the real RabbitMQ, Redis
and Mongo-compatible store started by `make test`, isolated by unique vhosts, database
suffixes and key prefixes. Nothing is faked and nothing is skipped for missing infrastructure.
"""

pytest_plugins = ["baifang_common.testing.plugin"]
