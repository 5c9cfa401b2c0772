"""The Mercer | Mettl REST emulator: `MettlApp` (the account and its API) and the sandbox credentials.

Modules: `app` (routes), `auth` (signature check), `validate` (the `sc` parameter), `views` (answers and
paging), `status` (candidate rows and account limits), `common` (the error envelope, dates).
"""

from .app import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp, access_key_for
from .common import MettlError

__all__ = ["SANDBOX_PRIVATE_KEY", "SANDBOX_PUBLIC_KEY", "MettlApp", "MettlError", "access_key_for"]
