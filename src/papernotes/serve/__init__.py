"""``papernotes serve``: build, serve, watch, rebuild incrementally, reload the browser."""

from .preview import PreviewServer, ServeOptions

__all__ = ["PreviewServer", "ServeOptions"]
