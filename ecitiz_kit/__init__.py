"""ecitiz-kit: ready-made administrative forms any website can embed."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app  # noqa: E402
from .errors import (  # noqa: E402
    ConfigurationError,
    DefinitionError,
    EcitizError,
    ForeignOrigin,
    UnknownObject,
)
from .extension import EcitizKit  # noqa: E402

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
