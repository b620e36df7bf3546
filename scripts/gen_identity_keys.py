#!/usr/bin/env python3
"""Print a fresh set of identity keys: one private key per process, and the trust list for all.

    scripts/gen_identity_keys.py            env lines, one block per process
    scripts/gen_identity_keys.py --secret   a `kubectl create secret` command for deploy/k8s

Each process signs its calls with its own BAIFANG_IDENTITY_KEY (base64 of a raw 32-byte Ed25519
seed) and trusts the issuers listed in BAIFANG_IDENTITY_TRUST. Keep the output out of the
repository: it is the production Secret (see deploy/README.md).
"""

from __future__ import annotations

import argparse
import shlex

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baifang_common.identity import ISSUERS, KEY_ENV, TRUST_ENV, encode_private, encode_public

SECRET_NAME = "baifang-identity"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", action="store_true", help="print a kubectl command creating the Secret")
    parser.add_argument("--namespace", default="baifang", help="namespace of the Secret (with --secret)")
    args = parser.parse_args()

    keys = {name: Ed25519PrivateKey.generate() for name in ISSUERS}
    trust = ",".join(f"{name}={encode_public(key.public_key())}" for name, key in keys.items())
    if args.secret:
        literals = [f"--from-literal={TRUST_ENV}={trust}"]
        literals += [f"--from-literal={name}={encode_private(key)}" for name, key in keys.items()]
        command = ["kubectl", "-n", args.namespace, "create", "secret", "generic", SECRET_NAME, *literals]
        print(" ".join(shlex.quote(part) for part in command))
        return
    print("# every process")
    print(f"{TRUST_ENV}={trust}")
    for name, key in keys.items():
        print(f"\n# {name} only")
        print(f"{KEY_ENV}={encode_private(key)}")


if __name__ == "__main__":
    main()
