"""Lazy public names for packages (PEP 562), so ``import fupsim`` loads no heavy dependency.

A package lists its public names and the modules that define them; :func:`lazy_names` gives
the package the module ``__getattr__``/``__dir__`` that import a name's module on first use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["lazy_names"]


class _LazyPackage(ModuleType):
    """A package whose public function may share its name with one of its subpackages.

    Importing a subpackage binds it on its parent (``fupsim.design`` = the package); the public
    function of the same name (``fupsim.design`` the function) must win, as it does with eager
    imports, so that binding is skipped and the name is looked up lazily instead.
    """

    _lazy: Mapping[str, str]

    def __setattr__(self, name: str, value: Any) -> None:
        lazy = self.__dict__.get("_lazy", {})
        if isinstance(value, ModuleType) and lazy.get(name) == value.__name__:
            return
        super().__setattr__(name, value)


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    homes : mapping of str to str
        Public name → the module that defines it (a dotted module path).

    Returns
    -------
    (getattr, dir)
        Functions to assign to the package's ``__getattr__`` and ``__dir__``.
    """
    module = sys.modules[package]
    namespace = module.__dict__

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *homes})

    namespace["_lazy"] = dict(homes)
    module.__class__ = _LazyPackage
    return getattr_, dir_
