"""An image's HTTP answer, shared by the storefront's and the admin's image routes: the query
column that leaves the bytes out when the browser already holds them, and the response with
its ETag and Cache-Control."""
from flask import Response, request
from sqlalchemy import case, literal
from sqlalchemy.types import LargeBinary

from cart.models import ProductImage

#: an id's bytes never change (a new upload is a new row), so a copy never goes stale
CACHE_FOREVER = "max-age=31536000, immutable"
_DATA = {"large": ProductImage.large_data, "thumb": ProductImage.thumb_data}


def etag(digest: str, size: str) -> str:
    return f"{digest}.{size}"


def cached_digests(size: str) -> list[str]:
    """The digests of this size the browser says it holds (If-None-Match)."""
    return [tag.rsplit(".", 1)[0]
            for tag in sorted(request.if_none_match.as_set(include_weak=True))
            if tag.endswith(f".{size}")][:8]


def data_unless_cached(size: str):
    """The size's bytes, or NULL when If-None-Match already names this image's digest."""
    column = _DATA[size]
    held = cached_digests(size)
    if not held:
        return column
    return case((ProductImage.digest.in_(held), literal(None, LargeBinary)), else_=column)


def image_response(row, size: str, private: bool) -> Response:
    """200 with the bytes, or 304 when the query left them out for the browser's copy."""
    data, content_type, digest = row
    if data is None:
        response = Response(status=304)
    else:
        response = Response(bytes(data), mimetype=content_type)
    response.set_etag(etag(digest, size))
    response.headers["Cache-Control"] = ("private, " if private else "public, ") + CACHE_FOREVER
    return response
