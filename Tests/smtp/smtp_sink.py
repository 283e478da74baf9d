#!/usr/bin/env python3
"""A real SMTP server on loopback (aiosmtpd) for the notice tests and `bench notices`.

Prints "PORT <n>" once listening. Each accepted message is written to --out as one JSON line (envelope,
headers, decoded text and HTML parts) before the server answers 250, so a client that got its 250 can
read the file at once. Faults on demand:
  --script 451,451     reply to the DATA of successive messages with these codes first (then 250)
  --reject 550         reply to every message's DATA with this code
  --drop N             close the connection, without a reply, after the DATA of the first N messages
  --count-only         do not parse or write messages; print "COUNT <n> SESSIONS <m>" on SIGTERM (benchmarks)
"""
import argparse
import asyncio
import email
import email.policy
import json
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, args):
        self.args = args
        self.script = [int(c) for c in args.script.split(",") if c] if args.script else []
        self.drops = args.drop
        self.count = 0
        self.sessions = 0
        self.out = open(args.out, "a", encoding="utf-8") if args.out else None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One EHLO per SMTP session: the count shows whether clients reuse their connections.
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.drops > 0:
            self.drops -= 1
            session_transport = server.transport
            session_transport.abort()
            return "421 dropped"
        if self.script:
            code = self.script.pop(0)
            if code != 250:
                return f"{code} scripted failure"
        if self.args.reject:
            return f"{self.args.reject} rejected by the test server"
        self.count += 1
        if self.out:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            record = {
                "mailFrom": envelope.mail_from,
                "rcptTos": envelope.rcpt_tos,
                "from": str(message["From"] or ""),
                "to": str(message["To"] or ""),
                "replyTo": str(message["Reply-To"] or ""),
                "subject": str(message["Subject"] or ""),
                "messageId": str(message["Message-ID"] or ""),
                "text": text.get_content() if text is not None else "",
                "html": html.get_content() if html is not None and html.get_content_type() == "text/html" else None,
            }
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--script", default="")
    parser.add_argument("--reject", type=int, default=0)
    parser.add_argument("--drop", type=int, default=0)
    parser.add_argument("--count-only", action="store_true")
    args = parser.parse_args()
    if args.count_only:
        args.out = None
    # A parent (a test runner) may have blocked SIGTERM, and a child inherits the mask: unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    handler = Handler(args)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port, data_size_limit=10_000_000)
    if args.port == 0:
        # aiosmtpd needs a concrete port: take a free one from the kernel.
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            controller.port = probe.getsockname()[1]
    controller.start()
    print(f"PORT {controller.port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()
    try:
        print(f"COUNT {handler.count} SESSIONS {handler.sessions}", flush=True)
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    sys.exit(main())
