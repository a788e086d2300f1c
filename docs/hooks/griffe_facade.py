"""Griffe extension: document facade methods (``name = facade("pkg.module.function")``).

Griffe reads ``hiermodels/results.py`` statically and sees ``kfold = facade(...)`` as an
attribute without a docstring. For each such attribute of a class this builds the
method griffe would have found by inspecting the class: the docstring and signature
that :class:`hiermodels.facade.facade` gives it (the function's, ``fit`` renamed
``self``), at the attribute's place in the source, so ``members_order: source`` holds.
"""

from __future__ import annotations

import inspect

import griffe

_KIND = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _text(value) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _parameter(p: inspect.Parameter) -> griffe.Parameter:
    default = None if p.default is inspect.Parameter.empty else repr(p.default)
    return griffe.Parameter(
        p.name, annotation=_text(p.annotation), kind=_KIND[p.kind], default=default
    )


class FacadeMethods(griffe.Extension):
    def on_class(self, *, cls: griffe.Class, loader: griffe.GriffeLoader, **kwargs) -> None:
        for name, member in list(cls.members.items()):
            if member.is_alias or not member.is_attribute:
                continue
            if not str(member.value or "").startswith("facade("):
                continue
            method = griffe.dynamic_import(f"{cls.path}.{name}")
            signature = inspect.signature(method)
            function = griffe.Function(
                name,
                lineno=member.lineno,
                endlineno=member.endlineno,
                parameters=griffe.Parameters(*map(_parameter, signature.parameters.values())),
                returns=_text(signature.return_annotation),
            )
            function.docstring = griffe.Docstring(
                inspect.cleandoc(method.__doc__ or ""),
                parent=function,
                lineno=member.lineno,
                parser=loader.docstring_parser,
                parser_options=loader.docstring_options,
            )
            cls.set_member(name, function)
