"""The Questionmark Delivery OData v3 emulator: `QuestionmarkApp` (one customer area) and the sandbox login.

Modules: `app` (routes and query options), `odata` (filters, literals, errors), `model` (entity types),
`edmx` (`$metadata`), `store` and `tables` (entities and their rules), `seed` (helpers that build a world).
"""

from .app import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp
from .odata import ODataError

__all__ = ["SANDBOX_PASSWORD", "SANDBOX_USERNAME", "ODataError", "QuestionmarkApp"]
