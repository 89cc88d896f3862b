"""JSON rendering through orjson: the same output as DRF's renderer, several times faster."""
import orjson
from rest_framework.renderers import JSONRenderer


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _default(value):
    # Decimal prices, lazy translation strings and the like.
    return str(value)
