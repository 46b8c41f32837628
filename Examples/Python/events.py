"""Server-sent events: a response that never ends by itself, one event per chunk. The server
writes each chunk as it is yielded (no buffering), and stops pulling when the client goes away
(then `close()` runs). Behind nginx, set `proxy_buffering off`.

    swift-wsgi --chdir Examples/Python --threads 8 events
    curl -N 'localhost:8000/?count=5&interval=1'
"""
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    count = int(query.get("count", ["10"])[0])
    interval = float(query.get("interval", ["1"])[0])
    start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])

    def events():
        for number in range(1, count + 1):
            yield ("id: %d\nevent: tick\ndata: {\"tick\": %d}\n\n" % (number, number)).encode()
            if number < count:
                time.sleep(interval)

    return events()
