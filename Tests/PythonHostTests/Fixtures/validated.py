"""Any fixture application wrapped in wsgiref.validate.validator, with WSGIWarning as an error:
swift-wsgi 'validated:wrap("module:callable")'."""
import importlib
import warnings
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)


def wrap(target):
    module, _, name = target.partition(":")
    return validator(getattr(importlib.import_module(module), name or "application"))
