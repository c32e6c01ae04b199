"""authlib's httpx client, imported without its deprecation warning.

authlib 1.9 warns on import that plain httpx (which we keep on purpose: respx can mock it, see
../shared/ENGINEERING.md §1.1) is deprecated in favour of httpx2, and its own
`simplefilter("always")` would print that line on every command. Filtering the category here,
after authlib.deprecate has run, silences it for the whole process.
"""

from __future__ import annotations

import warnings

from authlib.deprecate import AuthlibDeprecationWarning

warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)

from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.httpx_client import OAuth2Client  # noqa: E402

__all__ = ["OAuth2Client", "OAuthError"]
