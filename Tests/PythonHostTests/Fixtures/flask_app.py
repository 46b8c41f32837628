"""A Flask application using what real applications use."""
import io

from flask import Flask, Response, abort, jsonify, request, send_file, stream_with_context

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from Flask"


@app.post("/form")
def form():
    return jsonify(name=request.form.get("name"), colours=request.form.getlist("colour"))


@app.post("/json")
def json_body():
    data = request.get_json()
    return jsonify(received=data, doubled=[n * 2 for n in data["numbers"]])


@app.post("/upload")
def upload():
    file = request.files["document"]
    content = file.read()
    return jsonify(filename=file.filename, size=len(content), head=content[:16].decode("latin-1"),
                   note=request.form.get("note"))


@app.post("/raw")
def raw():
    data = request.get_data()
    return jsonify(size=len(data), text=data.decode("latin-1"))


@app.get("/file")
def file_path():
    return send_file(request.args["path"], mimetype="application/octet-stream")


@app.get("/memory")
def memory_file():
    return send_file(io.BytesIO(b"generated in memory\n" * 100), mimetype="text/plain", download_name="memory.txt")


@app.get("/stream")
def stream():
    count = int(request.args.get("n", "5"))

    @stream_with_context
    def generate():
        for index in range(count):
            yield f"line {index} of {request.path}\n"

    return Response(generate(), mimetype="text/plain")


@app.get("/missing")
def missing():
    abort(404)


@app.get("/caf\u00e9/<name>")
def unicode_path(name):
    return jsonify(path=request.path, name=name)


@app.get("/whoami")
def whoami():
    return jsonify(remote_addr=request.remote_addr, host=request.host, url=request.url, scheme=request.scheme)


@app.get("/log")
def log():
    app.logger.error("logged by the Flask application")
    return "logged"
