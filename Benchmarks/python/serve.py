"""Runs a Python WSGI server for the benchmarks as the harness runs every server: `serve.py SERVER
MODULE:CALLABLE --bind HOST:PORT` prints "Listening on http://HOST:PORT" once it accepts
connections (port 0 picks a free port). SERVER is bjoern, gunicorn, granian or peregrine (the
peregrine-server package, a Swift WSGI/ASGI server), each with one worker process (the harness pins
the whole process tree to one CPU and counts the CPU of all of it).

bjoern runs in this process; the others replace it (exec) with their own command line."""
import os
import socket
import sys


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def main():
    server, target = sys.argv[1], sys.argv[2]
    host, _, port = sys.argv[sys.argv.index("--bind") + 1].rpartition(":")
    port = int(port) or free_port(host)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps"))
    bin_dir = os.path.dirname(sys.executable)
    if server == "bjoern":
        import importlib

        import bjoern

        module, _, name = target.partition(":")
        app = getattr(importlib.import_module(module), name or "application")
        bjoern.listen(app, host, port)
        print(f"Listening on http://{host}:{port}", flush=True)
        bjoern.run()
    elif server == "gunicorn":
        print(f"Listening on http://{host}:{port}", flush=True)
        os.execv(os.path.join(bin_dir, "gunicorn"), [
            "gunicorn", "--workers", "1", "--worker-class", "gthread", "--threads", "1", "--keep-alive", "75",
            "--bind", f"{host}:{port}", "--chdir", sys.path[0], "--log-level", "warning", target])
    elif server == "granian":
        print(f"Listening on http://{host}:{port}", flush=True)
        os.execv(os.path.join(bin_dir, "granian"), [
            "granian", "--interface", "wsgi", "--workers", "1", "--blocking-threads", "1", "--host", host,
            "--port", str(port), "--working-dir", sys.path[0], "--log-level", "warning", target])
    elif server == "peregrine":
        print(f"Listening on http://{host}:{port}", flush=True)
        os.execv(os.path.join(bin_dir, "peregrine"), [
            "peregrine", "--protocol", "wsgi", "--workers", "1", "--wsgi-threads", "1", "--keep-alive", "75000",
            "--host", host, "--port", str(port), "--python-path", sys.path[0], target])
    else:
        sys.exit(f"unknown server {server!r}: bjoern, gunicorn, granian or peregrine")


if __name__ == "__main__":
    main()
