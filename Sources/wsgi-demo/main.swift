print("wsgi-demo")
