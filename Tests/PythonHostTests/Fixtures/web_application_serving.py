# The classic example with its make_server lines left in: importing it starts wsgiref's server and
# never returns.
from wsgiref.simple_server import make_server


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'Index']


httpd = make_server('127.0.0.1', 0, application)
httpd.serve_forever()
