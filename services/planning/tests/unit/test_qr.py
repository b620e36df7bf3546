"""Codes printed for outlets verify with the shared QR helper, and only with the outlet's secret."""

import random

from baifang_common.demo import demo_org
from baifang_common.qr import qr_customer_id, qr_signature_ok, sign_qr
from planning.demo import make_customers


def test_printed_code_round_trips_through_the_checkin_verification():
    customer = make_customers(demo_org(managers=2), 4, random.Random(1))[0]
    token = sign_qr(customer.id, customer.qr_secret)
    assert qr_customer_id(token) == customer.id
    assert qr_signature_ok(token, customer.qr_secret)


def test_code_signed_with_another_outlets_secret_is_rejected():
    a, b = make_customers(demo_org(managers=2), 2, random.Random(2))
    assert not qr_signature_ok(sign_qr(a.id, b.qr_secret), a.qr_secret)


def test_demo_secrets_are_deterministic_per_seed():
    one = make_customers(demo_org(managers=2), 3, random.Random(7))
    two = make_customers(demo_org(managers=2), 3, random.Random(7))
    assert [c.qr_secret for c in one] == [c.qr_secret for c in two]
