"""Bridge's Python worker: serves Python libraries to a Node host over gRPC."""

__version__ = "0.1.0"

#: The highest Bridge protocol version this worker speaks.
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "__version__"]
