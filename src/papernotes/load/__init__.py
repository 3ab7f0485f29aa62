"""Load stage: ``papernotes.yaml`` (``config``), note files (``notes``: walk, read, validate with
``frontmatter`` and ``fields``) and the site model built from them (``site``: categories, terms,
display order)."""
