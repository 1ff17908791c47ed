"""The peer scripts/bench-compare measures local-api against: the reference Python SCIM
server (PyPI scim2-server, pinned in scripts/bench-requirements.txt), its in-memory storage
served as an ASGI application under uvicorn, with its default schemas, resource types and
service provider configuration (no authentication).

    .venv/bench/bin/uvicorn --app-dir scripts scim2_peer:app --port PORT
"""

import secrets

from scim2_models import ScimProvider
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.service import ScimService
from scim2_server.utils import load_default_resource_types
from scim2_server.utils import load_default_schemas
from scim2_server.utils import load_default_service_provider_config

provider = ScimProvider.from_discovery(
    load_default_schemas().values(),
    load_default_resource_types().values(),
    config=load_default_service_provider_config(),
)
app = ASGIApplication(AsyncInMemoryStorage(), provider, ScimService(provider, secret=secrets.token_urlsafe(32)))
