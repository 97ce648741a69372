"""Validate generated OU-XML against ``OUIntermediateSchema.xsd`` (OU-XML 2.0).

The schema comes from the PyPI package ``ou-xml-validator`` (MIT), which ships it with the
MathML 3 schemas it imports but without the W3C ``xml.xsd`` it also imports; that one is served
from the copy the ``xmlschema`` package bundles (a dependency of ``ou-xml-validator``). Nothing
is fetched from the network. Compiling the schema takes several seconds (MathML is large), so
it is compiled once per process.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from lxml import etree

from gaffertape.errors import UserError


class _LocalSchemas(etree.Resolver):
    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if url and url.endswith("xml.xsd"):
            xml_xsd = resources.files("xmlschema") / "schemas" / "XML" / "xml.xsd"
            return self.resolve_string(xml_xsd.read_bytes(), context)
        return None


def schema_path() -> Any:
    try:
        return resources.files("ou_xml_validator") / "schemas" / "OUIntermediateSchema.xsd"
    except ModuleNotFoundError:
        raise UserError("the OU-XML schema is not installed",
                        hint="pip install ou-xml-validator") from None


@functools.cache
def load_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    with resources.as_file(schema_path()) as path:
        return etree.XMLSchema(etree.parse(str(path), parser))


def schema_errors(tree: Any) -> list[str]:
    """Every schema violation as ``line: message`` (empty when the document is valid)."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    # validate a re-parsed copy so line numbers are those of the serialised document
    try:
        copy = etree.fromstring(etree.tostring(root, pretty_print=True))
    except etree.XMLSyntaxError as exc:  # nested past libxml2's 256 (50,000 emphases, say)
        problem = "elements nested more than 256 deep" if "depth" in str(exc.msg) else exc.msg
        return [f"{exc.lineno or 1}: {problem}"]
    schema = load_schema()
    if schema.validate(copy):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


def validate(tree: Any, name: str) -> None:
    """Raise a one-line :class:`UserError` naming ``name`` and the line of the first violation."""
    errors = schema_errors(tree)
    if errors:
        raise UserError(f"{name}:{errors[0]} ({len(errors)} schema error(s) in all)",
                        hint="the output does not validate against OUIntermediateSchema.xsd")
