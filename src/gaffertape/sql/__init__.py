"""SQL over everything gaffertape knows, and over the files in the workspace's ``data/`` folder.

Start here:

* :mod:`gaffertape.sql.catalog`: which names a query can use (documented views, store tables,
  data files), found without reading data;
* :mod:`gaffertape.sql.guard`: read-only check and one-line errors with the position;
* :mod:`gaffertape.sql.duck`: the DuckDB engine (default, in-process);
* :mod:`gaffertape.sql.spark` and :mod:`gaffertape.sql.dialect`: the same views on Spark;
* :mod:`gaffertape.sql.commands`: ``gaffertape sql``; :mod:`gaffertape.sql.prompt`: its prompt;
* :mod:`gaffertape.sql.app_pages`: the app's SQL page.

``gaffertape.sql`` is both this package and the API function ``gaffertape.sql(query)``: once the
package is imported Python binds the name ``gaffertape.sql`` to the module, so the module itself
is made callable (calling it calls :func:`gaffertape.sql.api.sql`) and both spellings work.
"""

from __future__ import annotations

import sys
import types

from gaffertape.sql.api import connect, sql, views

__all__ = ["connect", "sql", "views"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return sql(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
