"""Form and JSON uploads: `wsgi.input` holds exactly the request body (CONTENT_LENGTH, or a
chunked upload de-chunked by the server), so it can be read to its end.

    swift-wsgi --chdir Examples/Python upload
    curl -d 'name=Ada&lang=Swift' localhost:8000/
    curl -H 'Content-Type: application/json' -d '{"name": "Ada"}' localhost:8000/
"""
import json
from urllib.parse import parse_qs


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"use POST\n"]
    body = environ["wsgi.input"].read()
    kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip()
    try:
        if kind == "application/json":
            received = json.loads(body)
        elif kind == "application/x-www-form-urlencoded":
            received = {key: values[0] for key, values in parse_qs(body.decode("utf-8")).items()}
        else:
            raise ValueError("send a form or JSON, not %r" % kind)
    except ValueError as error:
        data = ("bad request: %s\n" % error).encode()
        start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
        return [data]
    data = json.dumps({"received": received, "bytes": len(body)}, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
