"""A faithful fake of the Cursor Admin API over a deterministic synthetic team.

``FakeTeam`` generates members and usage events from a seed; ``FakeCursorAPI`` answers the four
read routes exactly as the contract describes (auth, limits, pagination, error bodies, faults);
``transport`` plugs it into httpx or ASGI, and ``server`` serves it with uvicorn.
"""

from outlay.testing.cursor_fake.api import DEFAULT_KEY, FakeCursorAPI, LoggedRequest
from outlay.testing.cursor_fake.faults import FakeDisconnect, Fault
from outlay.testing.cursor_fake.responses import FakeResponse
from outlay.testing.cursor_fake.server import RunningFake, serve
from outlay.testing.cursor_fake.team import FakeTeam, Spike, TeamSpec
from outlay.testing.cursor_fake.transport import asgi_app, mock_transport

__all__ = [
    "DEFAULT_KEY",
    "FakeCursorAPI",
    "FakeDisconnect",
    "FakeResponse",
    "FakeTeam",
    "Fault",
    "LoggedRequest",
    "RunningFake",
    "Spike",
    "TeamSpec",
    "asgi_app",
    "mock_transport",
    "serve",
]
