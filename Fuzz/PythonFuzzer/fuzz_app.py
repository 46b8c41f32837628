"""The application behind the Python host fuzzer (Fuzz/PythonFuzzer): it reads the whole body and
answers with what it saw of the request, or, on paths starting with /spec, with the response the
body describes, so that the fuzzer drives the host's start_response and body handling with
arbitrary values:

    STATUS LINE\n
    NAME:VALUE\n ...        header lines, decoded as latin-1 (any bytes: CR, LF, controls)
    \n
    PIECE|PIECE|...        each a type letter and its data: b bytes, a bytearray, s str, n None,
                           w write(data), e raise
`seen` lists the methods of the requests whose body it read whole, for the fuzzer's one response
per request check (and to know which responses answer HEAD): a streamed body can fail mid-read
(the client gone, a malformed chunk), and that request gets no answer of the application's.
"""
seen = []


def _pieces(spec, write):
    for piece in spec.split(b"|"):
        kind, data = piece[:1], piece[1:]
        if kind == b"w":
            write(bytes(data))
        elif kind == b"s":
            yield data.decode("latin-1")
        elif kind == b"a":
            yield bytearray(data)
        elif kind == b"n":
            yield None
        elif kind == b"e":
            raise RuntimeError("deliberate failure from the fuzzed application")
        else:
            yield bytes(data)


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    seen.append(environ["REQUEST_METHOD"])
    if environ.get("PATH_INFO", "").startswith("/spec"):
        head, _, rest = body.partition(b"\n\n")
        lines = head.split(b"\n")
        status = lines[0].decode("latin-1")
        headers = [tuple(part.decode("latin-1") for part in line.partition(b":")[::2]) for line in lines[1:] if line]
        write = start_response(status, headers)
        return _pieces(rest, write)
    fields = sorted((key, value) for key, value in environ.items() if key.startswith("HTTP_") or key.isupper())
    text = "\n".join(f"{key}={value!r}" for key, value in fields if key not in ("REMOTE_PORT",))
    data = (text + f"\nbody={len(body)}\n").encode("latin-1", "backslashreplace")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]
