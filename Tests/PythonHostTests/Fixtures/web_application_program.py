# The classic example as a program, its one import changed from wsgiref to swift_wsgi.
from swift_wsgi import make_server


def application(environ, start_response):
    if environ['PATH_INFO'] == '/':
        response_body = b'Index'
    else:
        response_body = b'Hello'
    status = '200 OK'
    response_headers = [('Content-Type', 'text/plain'),
                        ('Content-Length', str(len(response_body)))]
    start_response(status, response_headers)
    return [response_body]

httpd = make_server('localhost', 8051, application)
httpd.serve_forever()
print("serve_forever returned", flush=True)
