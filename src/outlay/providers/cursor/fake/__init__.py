"""A faithful fake of the Cursor Admin API over a deterministic synthetic team.

``FakeTeam`` generates members and usage events from a seed; ``FakeCursorAPI`` answers the four
read routes exactly as the contract describes (auth, limits, pagination, error bodies, faults);
``transport`` plugs it into httpx or ASGI, and ``server`` serves it with uvicorn.
"""

from outlay.providers.cursor.fake.api import DEFAULT_KEY, FakeCursorAPI, LoggedRequest
from outlay.providers.cursor.fake.faults import FakeDisconnect, Fault
from outlay.providers.cursor.fake.responses import FakeResponse
from outlay.providers.cursor.fake.server import RunningFake, serve
from outlay.providers.cursor.fake.team import FakeTeam, TeamSpec
from outlay.providers.cursor.fake.transport import asgi_app, mock_transport

__all__ = [
    "DEFAULT_KEY",
    "FakeCursorAPI",
    "FakeDisconnect",
    "FakeResponse",
    "FakeTeam",
    "Fault",
    "LoggedRequest",
    "RunningFake",
    "TeamSpec",
    "asgi_app",
    "mock_transport",
    "serve",
]
