"""A real SMTP server for the HTTP tests (aiosmtpd, from PyPI):
    .venv/bin/python smtp_receiver.py
listens on a free port of 127.0.0.1, prints "listening PORT", then one line
of JSON per message it accepts: envelope sender and recipients, subject,
Message-ID, and the plain-text and HTML parts decoded. Exits when its
standard input closes (the test that started it ended)."""

import asyncio
import email
import json
import socket
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Print:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        part = lambda kind: (message.get_body((kind,)) or None) and message.get_body((kind,)).get_content()
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "header_from": message["from"],
            "subject": message["subject"],
            "message_id": message["message-id"],
            "text": part("plain"),
            "html": part("html"),
        }), flush=True)
        return "250 Message accepted for delivery"


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Print(), hostname="127.0.0.1", port=port)
controller.start()
print(f"listening {port}", flush=True)
sys.stdin.read()
controller.stop()
