"""The echo application of the Python benchmarks (granian's published WSGI shape): the request body,
read whole through wsgi.input.read(), is the response body."""


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


app = application
