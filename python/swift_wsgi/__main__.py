"""``swift-wsgi`` (the console script) and ``python -m swift_wsgi``: gunicorn's command line, served by
this Python. Worker processes are started the same way: ``sys.executable -m swift_wsgi``."""

import sys

from . import _native


def main() -> None:
    sys.exit(_native.main(sys.argv[1:]))


if __name__ == "__main__":
    main()
