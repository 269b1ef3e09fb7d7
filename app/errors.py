"""Candor's one error hierarchy, mapped to HTTP once (in ``app/http.py``).

    CandorError                      500 internal_error
    ├── InvalidRequest               400 invalid_request_error
    │   └── PayloadTooLarge          413 request_too_large
    ├── AuthenticationFailed         401 invalid_api_key
    ├── PermissionDenied             403 permission_denied
    ├── NotFound                     404 not_found
    └── Conflict                     409 conflict

Messages are written for the client and never contain customer text; the body also
carries the request id so that support can find the matching log lines.
"""

from __future__ import annotations


class CandorError(Exception):
    status_code = 500
    error_type = "internal_error"
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code


class InvalidRequest(CandorError):
    status_code = 400
    error_type = "invalid_request_error"
    code = "invalid_request"


class PayloadTooLarge(InvalidRequest):
    status_code = 413
    code = "request_too_large"


class AuthenticationFailed(CandorError):
    status_code = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(CandorError):
    status_code = 403
    error_type = "permission_error"
    code = "permission_denied"


class NotFound(CandorError):
    status_code = 404
    error_type = "invalid_request_error"
    code = "not_found"


class Conflict(CandorError):
    status_code = 409
    error_type = "invalid_request_error"
    code = "conflict"
