#!/usr/bin/python3
"""Parses received messages with Python's email package and prints JSON.

usage: check_message.py FILE [FILE...]

For one FILE it prints one object, for several a list of them:
  {"file", "headers": {name: decoded value, first of each name},
   "header_names": [names in order], "content_type", "charset",
   "parts": [{"content_type", "charset", "transfer_encoding", "body"}],
   "defects": [...], "envelope": the sidecar FILE.json or null}
Bodies are decoded and have their line ends made "\\n". A message that is
not multipart has its own body as the single part.
"""

import email
import email.policy
import json
import os
import sys


def describe(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)

    headers = {}
    for name, value in msg.items():
        headers.setdefault(name, str(value))
    parts = []
    defects = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        if part.is_multipart():
            continue
        defects += [type(d).__name__ for d in part.defects]
        body = part.get_content()
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "body": body.replace("\r\n", "\n"),
        })

    envelope = None
    sidecar = os.path.splitext(path)[0] + ".json"
    if os.path.exists(sidecar):
        with open(sidecar) as f:
            envelope = json.load(f)
    return {
        "file": path,
        "headers": headers,
        "header_names": list(msg.keys()),
        "content_type": msg.get_content_type(),
        "charset": msg.get_content_charset(),
        "parts": parts,
        "defects": defects,
        "envelope": envelope,
    }


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    found = [describe(p) for p in argv[1:]]
    json.dump(found[0] if len(found) == 1 else found, sys.stdout,
              ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
