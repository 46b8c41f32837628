"""The smallest WSGI application: `swift-wsgi --chdir Examples/Python hello`."""


def application(environ, start_response):
    body = b"Hello, world!\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
