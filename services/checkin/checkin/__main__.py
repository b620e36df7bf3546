"""`python -m checkin grpc|worker` (see baifang_common.entrypoint for the eventlet rule)."""

from baifang_common.entrypoint import main

if __name__ == "__main__":
    main("checkin")
