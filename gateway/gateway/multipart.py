"""multipart/form-data bodies read with the standard library's MIME parser (no extra dependency).

Only what the photo upload needs: text fields and one file part, by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def parse_form(body: bytes, content_type: str) -> FormData:
    """The parts of a multipart/form-data body; ValueError when it is not one."""
    if not content_type.casefold().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ValueError("the body must be multipart/form-data with a boundary")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("no parts in the body")
    form = FormData()
    for part in message.iter_parts():  # type: ignore[attr-defined]
        _add(form, part)
    return form


def _add(form: FormData, part: Message) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        return
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if part.get_param("filename", header="content-disposition") is not None:
        form.files.setdefault(name, data)
    else:
        form.fields.setdefault(name, data.decode("utf-8", "replace").strip())
