#!/usr/bin/python3
"""A real SMTP server for iocm's mail tests, on 127.0.0.1 only.

An aiosmtpd Controller (Debian's python3-aiosmtpd: run it with
/usr/bin/python3) listening on a port the kernel picks. Once it is ready it
prints that port on stdout, one line, and serves until SIGTERM or SIGINT.

Options give it the behaviours the tests need:
  --starttls CERT KEY     offer STARTTLS and require it before MAIL
  --implicit-tls CERT KEY TLS from the first byte (smtps)
  --no-starttls           plain server that does not offer STARTTLS
  --auth USER:PASS        AUTH PLAIN/LOGIN, required before MAIL
  --maildir DIR           keep each message as DIR/msg-NNNN.eml, exactly the
                          bytes received, with the envelope in msg-NNNN.json
  --fail-first N CODE     answer the first N DATA with CODE (e.g. 421)
  --reject-rcpt ADDR      answer RCPT TO:<ADDR> with 550 (repeatable)
  --reject-data CODE      answer every DATA with CODE (e.g. 554)
  --echo-credentials      a hostile server: a failed AUTH's reply repeats
                          the password it was given
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, TLSSetupException


class PortZeroController(Controller):
    """A Controller on a socket bound before start, so port 0 works and the
    chosen port is known without a race."""

    def __init__(self, handler, host, **kwargs):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        port = self._sock.getsockname()[1]
        super().__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker, sock=self._sock, ssl=self.ssl_context
        )


class Handler:
    def __init__(self, opts):
        self.maildir = opts.maildir
        self.reject_rcpt = {a.lower() for a in opts.reject_rcpt}
        self.fail_first = opts.fail_first
        self.reject_data = opts.reject_data
        self.data_seen = 0
        self.kept = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.lower() in self.reject_rcpt:
            return f"550 5.1.1 <{address}>: recipient rejected"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_seen += 1
            seen = self.data_seen
        if self.fail_first and seen <= self.fail_first[0]:
            code = self.fail_first[1]
            return f"{code} {code[0]}.3.0 temporary failure, try again later"
        if self.reject_data:
            code = self.reject_data
            return f"{code} {code[0]}.7.1 rejected: message refused"
        name = self.keep(session, envelope) if self.maildir else "-"
        return f"250 2.0.0 OK queued as {name}"

    def keep(self, session, envelope):
        with self.lock:
            self.kept += 1
            name = f"msg-{self.kept:04d}"
        auth = session.auth_data
        sidecar = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth_user": auth.login.decode() if auth else None,
        }
        # JSON first, then the message: a test that sees the .eml finds
        # its envelope. Both are renamed into place whole.
        for ext, data in ((".json", json.dumps(sidecar).encode()),
                          (".eml", envelope.original_content)):
            path = os.path.join(self.maildir, name + ext)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)
        return name


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    tls.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    tls.add_argument("--no-starttls", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--maildir")
    p.add_argument("--fail-first", nargs=2, metavar=("N", "CODE"))
    p.add_argument("--reject-rcpt", action="append", default=[],
                   metavar="ADDR")
    p.add_argument("--reject-data", metavar="CODE")
    p.add_argument("--echo-credentials", action="store_true")
    p.add_argument("--host", default="127.0.0.1")
    opts = p.parse_args()
    if opts.fail_first:
        n, code = opts.fail_first
        opts.fail_first = (int(n), code)
    for code in (opts.fail_first[1] if opts.fail_first else None,
                 opts.reject_data):
        if code is not None and not (len(code) == 3 and code.isdigit()
                                     and code[0] in "45"):
            p.error(f"not a failure reply code: {code}")
    if opts.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("the test server listens on loopback only")
    return opts


def main():
    opts = parse_args()
    # aiosmtpd warns about AUTH without TLS, which some cases want, about
    # its own deprecations, and with a traceback about every handshake a
    # client refuses, which the untrusted-certificate cases do on purpose.
    # Other session errors still show.
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    logging.getLogger("mail.log").addFilter(
        lambda r: not (r.exc_info and r.exc_info[0] is TLSSetupException))
    warnings.filterwarnings("ignore", message="Requiring AUTH")

    smtp_kwargs = {"server_hostname": "iocm-test-smtp"}
    ssl_context = None
    if opts.starttls:
        smtp_kwargs.update(tls_context=tls_context(*opts.starttls),
                           require_starttls=True)
    if opts.implicit_tls:
        ssl_context = tls_context(*opts.implicit_tls)
    if opts.auth:
        user, _, password = opts.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword)
                  and data.login == user.encode()
                  and data.password == password.encode())
            message = None
            if not ok and opts.echo_credentials:
                given = data.password.decode(errors="replace")
                message = f"535 5.7.8 wrong password {given}"
            return AuthResult(success=ok, handled=False, message=message,
                              auth_data=data if ok else None)

        # aiosmtpd counts only STARTTLS as TLS: with implicit TLS or none,
        # AUTH must be allowed without it.
        smtp_kwargs.update(authenticator=authenticator, auth_required=True,
                           auth_require_tls=bool(opts.starttls))

    controller = PortZeroController(Handler(opts), opts.host,
                                    ssl_context=ssl_context, **smtp_kwargs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    print(controller.port, flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
