"""The Python API of the installed package, checked from a program (Tests/PythonHostTests/PackageTests).
Prints "ok NAME" for each check that passed; any failure raises (non-zero exit)."""
import http.client
import json
import signal
import sys
import threading

import swift_wsgi
from swift_wsgi import make_server, run, WSGIServer


def hello(environ, start_response):
    body = json.dumps({"path": environ["PATH_INFO"], "multithread": environ["wsgi.multithread"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def get(port, path="/"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def ok(name):
    print("ok", name, flush=True)


# make_server: bound at once (port 0 picks one), serve_forever until shutdown() from another thread,
# with the GIL released meanwhile: a thread of the program runs while the server waits.
for threads in (0, 2):
    server = make_server("127.0.0.1", 0, hello, threads=threads)
    host, port = server.server_address
    assert host == "127.0.0.1" and port > 0, server.server_address
    ran = threading.Event()
    threading.Thread(target=ran.set).start()
    results = []

    def client():
        assert ran.wait(10), "a program thread could not run while serving: the GIL is held"
        results.append(get(port, "/a"))
        server.shutdown()

    worker = threading.Thread(target=client)
    worker.start()
    server.serve_forever()
    worker.join()
    server.server_close()
    assert results == [(200, {"path": "/a", "multithread": threads > 0})], results
    ok(f"make_server threads={threads}")

# serve_forever in a thread of the program (not the one that made the server), as socketserver's
# servers are used: shutdown() from the making thread, then the serving thread returns and ends.
server = make_server("127.0.0.1", 0, hello)
serving = threading.Thread(target=server.serve_forever)
serving.start()
assert get(server.server_address[1], "/b")[0] == 200
server.shutdown()
serving.join(20)
assert not serving.is_alive(), "serve_forever did not return in its thread"
server.server_close()
ok("serve_forever in a thread")

# A context manager closes the server; a server made and closed without serving frees its port.
with make_server("127.0.0.1", 0, hello) as server:
    assert isinstance(server, WSGIServer)
    port = server.server_address[1]
with make_server("127.0.0.1", port, hello) as again:
    pass
ok("context manager")

# Options: the command line's names; a bad one is a TypeError, a bad value a ValueError naming it.
for bad, error in [({"no_such_option": 1}, TypeError), ({"workers": 2}, TypeError), ({"threads": "many"}, ValueError),
                   ({"keep_alive": True}, TypeError), ({"log_level": "loud"}, ValueError)]:
    try:
        make_server("127.0.0.1", 0, hello, **bad)
    except error as caught:
        assert list(bad)[0].split("_")[0] in str(caught).replace("-", "_"), str(caught)
    else:
        raise AssertionError(f"{bad} was accepted")
try:
    make_server("127.0.0.1", 0, "not callable")
except TypeError:
    pass
else:
    raise AssertionError("a non-callable application was accepted")
ok("option errors")

# serve_forever twice is refused.
server = make_server("127.0.0.1", 0, hello)
threading.Thread(target=server.shutdown).start()
server.serve_forever()
try:
    server.serve_forever()
except RuntimeError:
    pass
else:
    raise AssertionError("a second serve_forever was accepted")
server.server_close()
ok("serve once")

# run() until SIGTERM: the in-flight request finishes, then it returns.
if threading.current_thread() is threading.main_thread():
    def terminate_later(port_holder):
        import os, time
        while not port_holder:
            time.sleep(0.01)
        status, _ = get(port_holder[0], "/t")
        assert status == 200
        os.kill(os.getpid(), signal.SIGTERM)

    holder = []
    original = swift_wsgi.WSGIServer.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        holder.append(self.server_address[1])

    swift_wsgi.WSGIServer.__init__ = recording_init
    threading.Thread(target=terminate_later, args=(holder,), daemon=True).start()
    run(hello, "127.0.0.1", 0)
    swift_wsgi.WSGIServer.__init__ = original
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ok("run until SIGTERM")

assert swift_wsgi.__version__.count(".") == 2
ok("version " + swift_wsgi.__version__)
