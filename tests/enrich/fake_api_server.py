#!/usr/bin/python3
"""Stand-in for the VirusTotal v3 and AbuseIPDB v2 APIs, for the enrich
integration tests: listens on 127.0.0.1 (port 0 unless --port), prints its
port on the first line of stdout, and answers by the value asked about.

VirusTotal (under /api/v3, header x-apikey), value = last path segment:
  ok.example, 192.0.2.1, 2001:db8::1, EICAR's md5/sha1/sha256,
  base64url("http://ok.example/path")     200, a report
  missing.example                         404 NotFoundError
  limited.example                         429, Retry-After: 0, every time
  once.example                            429 (Retry-After: 0) once, then 200
  longwait.example                        429, Retry-After: 3600
  noretry.example                         429 without Retry-After
  broken.example                          500
  slow.example                            answers after 3 s
  garbage.example                         200 with a body that is not JSON
AbuseIPDB (GET /api/v2/check?ipAddress=..&maxAgeInDays=90, headers Key and
Accept: application/json), value = ipAddress:
  192.0.2.1, 2001:db8::1   200      192.0.2.5  429 (Retry-After: 0)
  192.0.2.6  500           192.0.2.7  slow     192.0.2.8  not JSON
  192.0.2.9  422 with an error detail
A wrong key is a 401 in each API's error format. GET /_count?value=V
answers {"count": N}, the requests made about V so far.
"""

import argparse
import base64
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EICAR = {
    "44d88612fea8a8f36de82e1278abb02f",
    "3395856ce81f2b7382dee72602f798b642f14140",
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
}
VT_OK = {"ok.example", "192.0.2.1", "2001:db8::1"} | EICAR
VT_OK_URL = "http://ok.example/path"
SLOW_SECONDS = 3

counts = {}
counts_lock = threading.Lock()


def count(value):
    with counts_lock:
        counts[value] = counts.get(value, 0) + 1
        return counts[value]


def vt_report(value):
    attrs = {
        "last_analysis_stats": {
            "harmless": 60, "malicious": 5, "suspicious": 1,
            "undetected": 10, "timeout": 0,
        },
        "reputation": -12,
        "last_analysis_date": 1790000000,
    }
    if value in EICAR:
        attrs["meaningful_name"] = "eicar.com"
        attrs["names"] = ["eicar.com", "eicar.txt"]
    return {"data": {"id": value, "type": "object", "attributes": attrs}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/_count":
            value = query.get("value", [""])[0]
            with counts_lock:
                n = counts.get(value, 0)
            return self.reply(200, {"count": n})
        if url.path.startswith("/api/v3/"):
            return self.virustotal(url.path[len("/api/v3/"):])
        if url.path == "/api/v2/check":
            return self.abuseipdb(query)
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not found")

    def virustotal(self, rest):
        kind, _, raw = rest.partition("/")
        value = urllib.parse.unquote(raw)
        if kind == "urls":
            pad = "=" * (-len(value) % 4)
            try:
                value = base64.urlsafe_b64decode(value + pad).decode()
            except ValueError:
                return self.reply(400, {"error": {
                    "code": "InvalidArgumentError",
                    "message": "bad URL identifier"}})
        n = count(value)
        if self.headers.get("x-apikey") != self.server.vt_key:
            return self.reply(401, {"error": {
                "code": "WrongCredentialsError",
                "message": "Wrong API key"}})
        if kind not in ("files", "urls", "domains", "ip_addresses"):
            return self.reply(404, b"<html>no such endpoint</html>")
        if value in VT_OK or value == VT_OK_URL:
            return self.reply(200, vt_report(value))
        if value == "missing.example":
            return self.reply(404, {"error": {
                "code": "NotFoundError",
                "message": f"Domain \"{value}\" not found"}})
        if value == "limited.example" or (value == "once.example" and n == 1):
            return self.reply(429, {"error": {
                "code": "QuotaExceededError",
                "message": "Quota exceeded"}}, {"Retry-After": "0"})
        if value == "once.example":
            return self.reply(200, vt_report(value))
        if value == "longwait.example":
            return self.reply(429, {"error": {
                "code": "QuotaExceededError",
                "message": "Quota exceeded"}}, {"Retry-After": "3600"})
        if value == "noretry.example":
            return self.reply(429, {"error": {
                "code": "QuotaExceededError",
                "message": "Quota exceeded"}})
        if value == "broken.example":
            return self.reply(500, {"error": {
                "code": "TransientError",
                "message": "Something went wrong"}})
        if value == "slow.example":
            time.sleep(SLOW_SECONDS)
            return self.reply(200, vt_report(value))
        if value == "garbage.example":
            return self.reply(200, b"{\"data\": {not json")
        return self.reply(404, {"error": {
            "code": "NotFoundError", "message": "not found"}})

    def abuseipdb(self, query):
        value = query.get("ipAddress", [""])[0]
        count(value)
        if self.headers.get("Key") != self.server.abuseipdb_key:
            return self.reply(401, {"errors": [{
                "detail": "Authentication failed. Your API key is either "
                          "missing, incorrect, or revoked.",
                "status": 401}]})
        if self.headers.get("Accept") != "application/json":
            return self.reply(406, {"errors": [{
                "detail": "Accept: application/json expected",
                "status": 406}]})
        if query.get("maxAgeInDays") != ["90"]:
            return self.reply(400, {"errors": [{
                "detail": "maxAgeInDays must be 90 here", "status": 400}]})
        if value in ("192.0.2.1", "2001:db8::1"):
            return self.reply(200, {"data": {
                "ipAddress": value, "isPublic": True, "ipVersion": 4,
                "isWhitelisted": False, "abuseConfidenceScore": 87,
                "countryCode": "NL", "usageType": "Data Center/Web Hosting",
                "isp": "Example Hosting B.V.", "domain": "example.net",
                "isTor": False, "totalReports": 42, "numDistinctUsers": 7,
                "lastReportedAt": "2026-12-01T10:00:00+00:00"}})
        if value == "192.0.2.5":
            return self.reply(429, {"errors": [{
                "detail": "Daily rate limit of 1000 requests exceeded.",
                "status": 429}]}, {"Retry-After": "0"})
        if value == "192.0.2.6":
            return self.reply(500, {"errors": [{
                "detail": "Internal server error", "status": 500}]})
        if value == "192.0.2.7":
            time.sleep(SLOW_SECONDS)
            return self.reply(200, {"data": {"abuseConfidenceScore": 0}})
        if value == "192.0.2.8":
            return self.reply(200, b"<html>maintenance</html>")
        if value == "192.0.2.9":
            return self.reply(422, {"errors": [{
                "detail": "The ip address must be a valid IPv4 or IPv6 "
                          "address (e.g. 8.8.8.8 or 2001:4860:4860::8888).",
                "status": 422}]})
        return self.reply(200, {"data": {
            "ipAddress": value, "abuseConfidenceScore": 0,
            "totalReports": 0}})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--vt-key", default="test-vt-key")
    ap.add_argument("--abuseipdb-key", default="test-abuseipdb-key")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.vt_key = args.vt_key
    server.abuseipdb_key = args.abuseipdb_key
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
