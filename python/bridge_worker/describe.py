"""Describe, for both transports (the work itself lives in :mod:`bridge_worker.introspect`).

The introspection agent (griffe and friends) is imported on the first Describe only:
a worker that only serves calls never pays its import time or memory.
"""

from __future__ import annotations

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.faults import BridgeFault, NotFoundError


def describe_response(request: pb.DescribeRequest) -> tuple[pb.DescribeResponse, pb.Error | None]:
    """Describe ``request.module``: the response, or an Error (NOT_FOUND, INVALID_ARGUMENT,
    INTERNAL when importing the module raised).
    """
    from bridge_worker.introspect import describe

    try:
        result = describe(
            request.module, request.depth, list(request.include), list(request.exclude)
        )
    except NotFoundError as exc:
        return pb.DescribeResponse(), pb.Error(code=pb.ERROR_CODE_NOT_FOUND, message=str(exc))
    except BridgeFault as exc:
        return pb.DescribeResponse(), pb.Error(
            code=pb.ERROR_CODE_INVALID_ARGUMENT, message=str(exc)
        )
    except BaseException as exc:
        return pb.DescribeResponse(), pb.Error(
            code=pb.ERROR_CODE_INTERNAL,
            message=f"importing {request.module!r} raised {type(exc).__qualname__}: {exc}",
        )
    response = pb.DescribeResponse(
        schema_version=result.descriptor["schema_version"],
        descriptor_json=result.to_json(),
        warnings=result.warnings,
    )
    return response, None
