#!/usr/bin/env python3
"""A real SMTP server on loopback (aiosmtpd) for the notice tests and `bench notices`.

Prints "PORT <n>" once listening. Each accepted message is written to --out as one JSON line (envelope,
headers, decoded text and HTML parts) before the server answers 250, so a client that got its 250 can
read the file at once. Faults on demand:
  --script 451,451     reply to the DATA of successive messages with these codes first (then 250)
  --reject 550         reply to every message's DATA with this code
  --drop N             close the connection, without a reply, after the DATA of the first N messages
  --count-only         do not parse or write messages; print "COUNT <n> SESSIONS <m>" on SIGTERM (benchmarks)
Transport security and authentication, as a real submission server has them:
  --starttls CERT KEY  offer STARTTLS with this certificate and refuse mail before it (require_starttls)
  --tls CERT KEY       implicit TLS (smtps): the whole session is TLS from the first byte
  --auth USER:PASS     require SMTP AUTH (PLAIN or LOGIN, only over TLS) with these credentials
"""
import argparse
import asyncio
import email
import email.policy
import json
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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


class Authenticator:
    """Accepts exactly one login and password; every other attempt is a 535."""

    def __init__(self, credentials):
        user, _, password = credentials.partition(":")
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = getattr(auth_data, "login", None) == self.user and getattr(auth_data, "password", None) == self.password
        return AuthResult(success=ok, handled=False)


def server_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--script", default="")
    parser.add_argument("--reject", type=int, default=0)
    parser.add_argument("--drop", type=int, default=0)
    parser.add_argument("--count-only", action="store_true")
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASS")
    args = parser.parse_args()
    if args.count_only:
        args.out = None
    # A parent (a test runner) may have blocked SIGTERM, and a child inherits the mask: unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    handler = Handler(args)
    security = {}
    if args.starttls:
        security.update(tls_context=server_context(*args.starttls), require_starttls=True)
    if args.tls:
        security.update(ssl_context=server_context(*args.tls))
    if args.auth:
        # aiosmtpd counts only STARTTLS as TLS when it decides whether to offer AUTH; under implicit TLS
        # the whole session is encrypted, so "only over TLS" holds without its check.
        security.update(authenticator=Authenticator(args.auth), auth_required=True, auth_require_tls=not args.tls)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port, data_size_limit=10_000_000, **security)
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
