"""The hello application of the Python benchmarks: the smallest complete WSGI response."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, World!"]


app = application
