"""Renderers for API views that answer with bytes of their own (a file, an event stream)."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


class OwnBytesRenderer(BaseRenderer):
    """Lets DRF accept a request for the view's own media type, which the view writes itself (list it after
    JSONRenderer, so that other answers are JSON); an error answer to such a request is JSON, and says so."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data)


def own_bytes_renderer(media_type: str, format: str) -> type[OwnBytesRenderer]:
    return type(f"{format.title()}Renderer", (OwnBytesRenderer,), {"media_type": media_type, "format": format})
