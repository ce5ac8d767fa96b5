"""The functions' Lambda handlers, loaded in-process as the local runtime runs them.

Each load imports the handler module afresh under its own name, so module-level state is the execution's own,
as in a Lambda execution environment; the production adapters' cached boto3 clients, shared by every
handler in the process, are forgotten when the runtime points them at another endpoint.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from radimpress.errors import ConfigurationError
from radimpress.local.poller import Handler

__all__ = ["load_handler", "reset_adapter_clients"]


def load_handler(code_dir: Path, handler: str, name: str) -> tuple[ModuleType, Handler]:
    """Import ``<code_dir>/<module>.py`` under a unique module name (its own module state, as a Lambda
    execution environment has) and return the module and its handler function."""
    module_name, _, function_name = handler.rpartition(".")
    path = code_dir / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError("handler module not found", where=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as any import does: pydantic resolves the handler's annotations through it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ConfigurationError(f"no callable {function_name}", where=str(path))
    return module, function


def reset_adapter_clients() -> None:
    """Forget the production adapters' cached boto3 clients (made for another endpoint, e.g. by a test)."""
    from radimpress.adapters import _aws  # noqa: PLC0415 - boto3 only once the runtime runs

    _aws.reset_clients()
