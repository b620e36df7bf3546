"""JSON log lines with the request id, one format for every process."""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings

from baifang_common.context import current_request_id

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, process: str) -> None:
        super().__init__()
        self.service = service
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "process": self.process,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": current_request_id() or getattr(record, "request_id", ""),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(service: str, process: str, level: str = "INFO") -> None:
    """Called once in main(); everything else uses logging.getLogger(__name__)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service, process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kombu", "amqp", "pymongo", "nameko", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # eventlet announces its deprecation at import; it is known.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="eventlet")
    logging.captureWarnings(True)
