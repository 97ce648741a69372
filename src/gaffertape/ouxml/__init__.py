"""OU-XML: Open University course documents as a database.

Modules, in the order data flows through them:

* :mod:`.safeparse`: parse hostile XML safely (no entities, DTDs or network; bounded).
* :mod:`.extract`: one document -> rows (structure, outcomes, glossary, figures, media, links,
  activities, SAQs, references), each with its XPath; handles the 1.2 and 2.0 placements.
* :mod:`.ingest`: files, folders and zips -> the workspace store (tables ``ouxml_*``).
* :mod:`.search`: ranked full-text search (FTS5/BM25), meta-glossary, images, links, topics.
* :mod:`.audit`: accessibility and structure audits; the polite link checker.
* :mod:`.mindmap`: course and topic mind maps (offline HTML, FreeMind ``.mm``, OPML).
* :mod:`.convert`: Markdown/MyST, R Markdown, notebooks and Word -> OU-XML 2.0, and back.
* :mod:`.api`: the Python API (DataFrames); :mod:`.commands`: the CLI; :mod:`.app_pages`.
"""
