"""For the server hooks test: answers how many objects gc.freeze() (called by the config file's
post_fork hook) moved to the permanent generation."""

import gc


def application(environ, start_response):
    body = str(gc.get_freeze_count()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
