"""ecitiz-kit: ready-made administrative forms any website can embed."""

from __future__ import annotations

from ._version import __version__
from .app import create_app
from .errors import (
    ConfigurationError,
    DefinitionError,
    EcitizError,
    ForeignOrigin,
    UnknownObject,
)
from .extension import EcitizKit

__all__ = [
    "ConfigurationError",
    "DefinitionError",
    "EcitizError",
    "EcitizKit",
    "ForeignOrigin",
    "UnknownObject",
    "__version__",
    "create_app",
]
