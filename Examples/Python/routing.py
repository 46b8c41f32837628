"""Routing over SCRIPT_NAME and PATH_INFO, the WSGI way: each level takes one path segment with
`wsgiref.util.shift_path_info`, so a sub-application sees its own paths and still knows where it
is mounted.

    swift-wsgi --chdir Examples/Python routing
    curl localhost:8000/users/42      ->  user 42 (mounted at /users)
"""
from wsgiref.util import shift_path_info


def text(start_response, status, body):
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def users(environ, start_response):
    user = shift_path_info(environ)
    if not user:
        return text(start_response, "200 OK", "all users (mounted at %s)\n" % environ["SCRIPT_NAME"])
    if not user.isdigit():
        return text(start_response, "404 Not Found", "no such user\n")
    return text(start_response, "200 OK", "user %s (mounted at %s)\n" % (user, environ["SCRIPT_NAME"].rsplit("/", 1)[0]))


ROUTES = {"users": users}


def application(environ, start_response):
    segment = shift_path_info(environ)
    if not segment:
        return text(start_response, "200 OK", "index: try /users or /users/42\n")
    route = ROUTES.get(segment)
    if route is None:
        return text(start_response, "404 Not Found", "not found: /%s\n" % segment)
    return route(environ, start_response)
