"""Makes the static properties of the jsii-generated Python module visible to type checkers.

jsii-pacmak renders a static property (`PostgresVersion.V9_6_V2`) as

    @jsii.python.classproperty
    @jsii.member(jsii_name="V9_6_V2")
    def V9_6_V2(cls) -> "PostgresVersion": ...

and the jsii runtime types `classproperty.__get__` as returning `Any`
(https://github.com/aws/jsii/issues/3633), so mypy and pyright see every static
property as `Any` and cannot check the version/provider pair. This rewrites the
decorator to a generic alias that type checkers read under TYPE_CHECKING and
that is `jsii.python.classproperty` itself at run time (no behaviour change).

Usage: python3 type_classproperties.py <generated __init__.py>...
"""
import re
import sys

MARKER = "# cdk8s-postgres-walg: typed class properties"
HELPER = f'''
{MARKER} (bindings/python/type_classproperties.py)
if typing.TYPE_CHECKING:
    _ClassPropertyT = typing.TypeVar("_ClassPropertyT")

    class _typed_classproperty(typing.Generic[_ClassPropertyT]):
        def __init__(self, fget: typing.Callable[[typing.Any], _ClassPropertyT]) -> None: ...
        def __get__(self, obj: typing.Any, owner: typing.Any = None) -> _ClassPropertyT: ...
else:
    _typed_classproperty = jsii.python.classproperty
'''

DECORATOR = re.compile(r"^(\s*)@jsii\.python\.classproperty(\s*#.*)?$", re.M)


def patch(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if MARKER in text:
        return len(re.findall(r"@_typed_classproperty", text))
    text, count = DECORATOR.subn(r"\1@_typed_classproperty", text)
    if count == 0:
        return 0
    # right after the generated `import jsii` (top level, after `import typing`)
    jsii_import = re.search(r"^import jsii\n", text, re.M)
    typing_import = re.search(r"^import typing\n", text, re.M)
    if jsii_import is None or typing_import is None or typing_import.start() > jsii_import.start():
        sys.exit(f"{path}: cannot find the generated `import typing` / `import jsii` (jsii-pacmak changed its output?)")
    text = text[: jsii_import.end()] + HELPER + text[jsii_import.end():]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return count


if __name__ == "__main__":
    total = 0
    for p in sys.argv[1:]:
        n = patch(p)
        print(f"{p}: {n} static properties typed")
        total += n
    if total == 0:
        sys.exit("no @jsii.python.classproperty found: jsii-pacmak changed its output, review bindings/python/type_classproperties.py")
