"""The cart modules of the payment methods, by code; filled by ``cart.methods.init_app``."""
_BY_CODE: dict = {}


def add(method) -> None:
    _BY_CODE[method.code] = method


def get(code: str):
    """The cart module of the method stored under ``code`` (KeyError if none)."""
    return _BY_CODE[code]


def find(code: str):
    """The cart module of ``code``, or None."""
    return _BY_CODE.get(code)


def all_methods() -> list:
    return list(_BY_CODE.values())
