#!/usr/bin/env python3
"""A loopback HTTP proxy that throttles: it answers some requests with AWS throttling or
unavailability errors and forwards the rest to the target (a moto server).

Usage: throttle_proxy.py PORT TARGET_URL [--fail-first N] [--fail-service NAME]
  --fail-first N      the first N requests get an error, cycling through EC2's RequestLimitExceeded,
                      the query services' Throttling, HTTP 503, HTTP 429 and S3's SlowDown
  --fail-service NAME every request signed for this service (credential scope) gets Throttling

GET /__proxy__/stats answers {"failed": n, "forwarded": n}. Exits when stdin closes (the test ended).
"""
import argparse
import http.client
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAILURES = [
    (400, "text/xml", "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>p</RequestID></Response>"),
    (400, "text/xml", "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>p</RequestId></ErrorResponse>"),
    (503, "text/plain", "Service Unavailable"),
    (429, "application/json", '{"__type":"TooManyRequestsException","message":"Rate exceeded"}'),
    (503, "application/xml", "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"),
]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class State:
    lock = threading.Lock()
    failed = 0
    forwarded = 0


def make_handler(args, target):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _reply(self, status, ctype, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _service(self):
            auth = self.headers.get("Authorization", "")
            try:
                return auth.split("Credential=")[1].split(",")[0].split("/")[3]
            except IndexError:
                return ""

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/__proxy__/stats":
                with State.lock:
                    return self._reply(200, "application/json",
                                       json.dumps({"failed": State.failed, "forwarded": State.forwarded}))
            with State.lock:
                fail = None
                if args.fail_service and self._service() == args.fail_service:
                    fail = FAILURES[1]
                elif State.failed < args.fail_first:
                    fail = FAILURES[State.failed % len(FAILURES)]
                if fail:
                    State.failed += 1
                else:
                    State.forwarded += 1
            if fail:
                return self._reply(*fail)
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


def exit_when_parent_is_gone():
    sys.stdin.read()
    os._exit(0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    p.add_argument("target")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-service", default="")
    args = p.parse_args()
    threading.Thread(target=exit_when_parent_is_gone, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args, urlsplit(args.target)))
    server.serve_forever()


if __name__ == "__main__":
    main()
