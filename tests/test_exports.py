"""The public namespace: __all__ complete and sorted, metadata fixed up, classes final."""

from __future__ import annotations
import __future__

import enum
import inspect
import types

import pytest

import trioaxios


def public_names() -> list[str]:
    # Subpackages (trioaxios.middleware) are imported, not star-exported, and the
    # `from __future__ import annotations` feature object is not an API.
    return sorted(
        name
        for name, value in vars(trioaxios).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | __future__._Feature)
    )


EXPORTED = [name for name in trioaxios.__all__ if name != "__version__"]
OBJECTS = [
    name
    for name in EXPORTED
    if inspect.isclass(getattr(trioaxios, name)) or inspect.isfunction(getattr(trioaxios, name))
]
CLASSES = [name for name in OBJECTS if inspect.isclass(getattr(trioaxios, name))]


def is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def subclassed_by_another_export(cls: type) -> bool:
    return any(
        other is not cls and issubclass(other, cls)
        for other in map(trioaxios.__dict__.get, CLASSES)
    )


def isort_style(name: str) -> tuple[int, str]:
    """Ruff RUF022's order: SCREAMING_CASE, then CamelCase, then the rest, each alphabetical."""
    if name.isupper():
        return 0, name
    if name[0].isupper():
        return 1, name
    return 2, name


def test_all_is_sorted():
    """__all__ is sorted the way ruff (RUF022) keeps it: constants, classes, then the rest."""
    assert trioaxios.__all__ == sorted(trioaxios.__all__, key=isort_style)


def test_all_has_no_duplicates():
    """Every name appears once in __all__."""
    assert len(set(trioaxios.__all__)) == len(trioaxios.__all__)


def test_all_is_complete():
    """Every public name in the module is in __all__, and every name in __all__ exists."""
    assert public_names() == sorted(set(trioaxios.__all__) - {"__version__"})
    for name in trioaxios.__all__:
        assert hasattr(trioaxios, name), name


def test_star_import_gives_exactly_all():
    """`from trioaxios import *` binds exactly the names in __all__."""
    namespace: dict[str, object] = {}
    exec("from trioaxios import *", namespace)  # noqa: S102 - the point of the test
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(trioaxios.__all__)


@pytest.mark.parametrize("name", OBJECTS)
def test_exported_objects_claim_the_public_module(name):
    """Exported classes and functions say __module__ == 'trioaxios' (clean tracebacks)."""
    assert getattr(trioaxios, name).__module__ == "trioaxios"


@pytest.mark.parametrize("name", CLASSES)
def test_public_classes_are_final_unless_meant_to_be_subclassed(name):
    """Public classes are @final, except exceptions, Protocols, enums and exported bases."""
    cls = getattr(trioaxios, name)
    if issubclass(cls, BaseException) or is_protocol(cls) or issubclass(cls, enum.Enum):
        return
    if subclassed_by_another_export(cls):
        assert name in {"RequestConfig", "Headers"}
        return
    assert getattr(cls, "__final__", False), f"{name} should be decorated with @typing.final"


def test_the_subclassable_exceptions_really_are_subclassable():
    """The exemptions are real: RequestConfig and Headers have exported subclasses."""
    assert issubclass(trioaxios.Defaults, trioaxios.RequestConfig)
    assert issubclass(trioaxios.DefaultHeaders, trioaxios.Headers)
    assert not getattr(trioaxios.RequestConfig, "__final__", False)


@pytest.mark.parametrize("name", OBJECTS)
def test_exported_objects_have_docstrings(name):
    """Every exported class and function has a docstring of its own."""
    obj = getattr(trioaxios, name)
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc
    assert doc.strip()


def test_constants_are_documented_by_their_value():
    """The exported non-callables are the axios codes (value == name) and __version__."""
    others = [name for name in EXPORTED if name not in OBJECTS]
    assert others
    for name in others:
        assert getattr(trioaxios, name) == name
    assert isinstance(trioaxios.__version__, str)
    assert trioaxios.__version__
