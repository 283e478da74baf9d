#!/usr/bin/env python3
"""The benchmark's reference: N messages of the size the service sends, over one SMTP connection with
Python's smtplib, to the same sink. Prints "SENT <n> SECONDS <s>"."""
import argparse
import smtplib
import time
from email.message import EmailMessage

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--count", type=int, required=True)
args = parser.parse_args()

started = time.monotonic()
with smtplib.SMTP("127.0.0.1", args.port) as client:
    for n in range(args.count):
        message = EmailMessage()
        message["From"] = "Riverside Library <notices@riverside.example.org>"
        message["To"] = f"reader{n}@example.org"
        message["Subject"] = "Items due soon at Riverside Library"
        message["Message-ID"] = f"<reference-{n}@riverside.example.org>"
        message.set_content("Dear Reader,\n\nThese items are due soon:\n- A Book (ITEM-000001), due 2026-12-01\n\n" * 2)
        client.send_message(message)
print(f"SENT {args.count} SECONDS {time.monotonic() - started:.3f}", flush=True)
