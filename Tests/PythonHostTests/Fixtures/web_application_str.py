# The classic example exactly as it is usually written (for Python 2): its body is a str. WSGI on
# Python 3 wants bytes, so servers must refuse it cleanly (a 500 and a log line naming the fix).
from wsgiref.simple_server import make_server


def application(environ, start_response):
    if environ['PATH_INFO'] == '/':
        response_body = 'Index'
    else:
        response_body = 'Hello'
    status = '200 OK'
    response_headers = [('Content-Type', 'text/plain'),
                        ('Content-Length', str(len(response_body)))]
    start_response(status, response_headers)
    return [response_body]

# httpd = make_server('localhost', 8051, application)
# httpd.serve_forever()
