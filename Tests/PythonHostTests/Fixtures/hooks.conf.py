"""A gunicorn configuration file with every server hook swift-wsgi calls: each writes a line to
$HOOKS_LOG; post_fork calls gc.freeze() (the preload recipe); on_reload raises after its line."""

import gc
import os

workers = 1


def _log(*words):
    with open(os.environ["HOOKS_LOG"], "a") as log:
        log.write(" ".join(str(word) for word in words) + "\n")


def on_starting(server):
    _log("on_starting", server.pid == os.getpid(), server.cfg.workers)


def nworkers_changed(server, new_value, old_value):
    _log("nworkers_changed", new_value, old_value)


def when_ready(server):
    _log("when_ready")


def pre_fork(server, worker):
    _log("pre_fork", worker.age, worker.pid)


def post_fork(server, worker):
    gc.freeze()
    _log("post_fork", worker.age, worker.pid == os.getpid(), server.pid == os.getppid())


def post_worker_init(worker):
    _log("post_worker_init", worker.age, worker.booted)
    worker.log.info("post_worker_init ran")


def pre_request(worker, req):
    _log("pre_request", worker.age, req.method, req.path, req.query)


def post_request(worker, req, environ, resp):
    _log("post_request", req.path, resp.status_code, resp.response_length)


def child_exit(server, worker):
    _log("child_exit", worker.age, worker.pid > 0)


def worker_exit(server, worker):
    _log("worker_exit", worker.age)


def worker_int(worker):
    _log("worker_int", worker.age)


def on_reload(server):
    _log("on_reload")
    raise RuntimeError("on_reload fails on purpose")


def on_exit(server):
    _log("on_exit")
