# Baifang: `make up` starts everything on this machine, `make test` runs the tests.
# Every target is a thin wrapper over scripts/: the scripts hold the logic.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.NOTPARALLEL:

PY := .venv/bin/python
PYTEST_ARGS ?=
DEMO_PASSWORD := $(or $(BAIFANG_DEMO_PASSWORD),baifang-demo)
# Every port of the stack shifted by one offset, as `stack.py --port-offset` does (a second stack beside the first).
STACK_PORT_OFFSET ?= 0
export STACK_PORT_OFFSET
GATEWAY := http://127.0.0.1:$(shell echo $$(( $(or $(GATEWAY_PORT),8080) + $(STACK_PORT_OFFSET) )))
PROMETHEUS := http://127.0.0.1:$(or $(PROMETHEUS_PORT),9090)

.PHONY: setup protos infra up down seed seed-peak test lint bench bench-sink bench-analytics bench-checkin peak clean rebuild-analytics recompute-customer-values bench-business

setup:
	scripts/bootstrap.sh

protos:
	$(PY) scripts/gen_protos.py

infra:
	scripts/infra.sh ensure

# Two gateway worker processes (GATEWAY_WORKERS): one would cap the whole API at one core.
up: setup infra
	GATEWAY_WORKERS=$${GATEWAY_WORKERS:-2} $(PY) scripts/stack.py up --port-offset $(STACK_PORT_OFFSET)
	scripts/prometheus.sh ensure
	@if [[ ! -f var/.seeded ]]; then \
	  echo "[make] seeding demo data"; \
	  $(PY) scripts/seed.py && touch var/.seeded; \
	fi
	@echo
	@echo "Gateway API   $(GATEWAY)/api/v1"
	@echo "API docs      $(GATEWAY)/docs"
	@echo "Console       $(GATEWAY)/console/  (supervisor web console: log in as s01 or admin)"
	@echo "RabbitMQ UI   http://127.0.0.1:$(or $(RABBITMQ_MGMT_PORT),15672)/  (baifang / baifang-dev, vhost baifang)"
	@echo "Redis         redis://:baifang-dev@127.0.0.1:$(or $(REDIS_PORT),6379)/0"
	@echo "Prometheus    $(PROMETHEUS)/  (rules: deploy/prometheus, alerts: $(PROMETHEUS)/alerts)"
	@echo "Demo accounts admin / s01 / m001, password: $(DEMO_PASSWORD)"
	@echo "Stop with     make down  (data is kept under var/)"

# stack.py is stdlib-only: it can stop processes even when .venv is gone.
down:
	$$([[ -x $(PY) ]] && echo $(PY) || echo python3) scripts/stack.py down
	scripts/prometheus.sh stop
	scripts/infra.sh stop

seed: setup infra
	$(PY) scripts/seed.py --reset
	touch var/.seeded

# The morning-peak data set: one manager per tablet (2,000 in 200 teams), 30,000 outlets, today's plans.
seed-peak: setup infra
	$(PY) scripts/seed.py --reset --peak
	touch var/.seeded

test: setup infra
	$(PY) -m pytest $(PYTEST_ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

bench:
	$(PY) loadtests/bench_ingest.py

bench-sink:
	$(PY) loadtests/bench_sink.py

bench-analytics:
	$(PY) loadtests/bench_analytics.py

# First check-ins need planned visits: reseeds a small peak data set (100 managers, today's plans) first.
bench-checkin:
	$(PY) scripts/seed.py --reset --peak --managers 100 --customers 3000
	$(PY) loadtests/stack_metrics.py drain 300
	$(PY) loadtests/bench_checkin.py

# Reseeds the peak data set first (fresh plans); PEAK_SEED=0 keeps the current data.
peak:
	@if [[ "$${PEAK_SEED:-1}" != 0 ]]; then $(MAKE) --no-print-directory seed-peak; fi
	BAIFANG_DEMO_MANAGERS=$${BAIFANG_DEMO_MANAGERS:-2000} BAIFANG_URL=$${BAIFANG_URL:-$(GATEWAY)} PROMETHEUS_URL=$${PROMETHEUS_URL:-$(PROMETHEUS)} bash loadtests/run_peak.sh

clean: down
	rm -rf var .venv

# Recompute analytics' order views from the business facts it stored (scripts/rebuild_analytics.py).
rebuild-analytics:
	$(PY) scripts/rebuild_analytics.py

# Re-judge every customer's value class (P-004-9; the worker does it daily by itself): scripts/recompute_customer_values.py.
recompute-customer-values:
	$(PY) scripts/recompute_customer_values.py

# p50/p95 of every business view for 30 managers, 3,000 outlets and three months of orders and collections.
bench-business:
	$(PY) loadtests/bench_business_views.py
