"""A bare WSGI hello-world: bench/rush.py serves it under the same granian settings."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
