"""The course as a website: the lessons, executed, with the glossary, the sources, the instructor
guide and the JupyterHub page (``interopkit site --out DIR``).

    source     the Sphinx project staged in a temporary folder: copies of the committed (cleared)
               notebooks with a hidden worked solution after each exercise, the docs, an index in
               learning-path order, a page of launch links, and the generated ``conf.py``
    callouts   the Sphinx extension that boxes objectives, exercises and key points, puts each
               solution behind a toggle and replaces a live widget by a note
    run        the build's child process: executes every lesson (nbclient, one kernel each, in
               quick mode by default), then runs Sphinx with warnings as errors
    build      stages, starts ``run``, copies the HTML out, and checks that the build left no
               process running

Why Sphinx with MyST-NB and sphinx-book-theme rather than Jupyter Book 2: all of it installs
with pip and builds offline. Jupyter Book 2 runs on the Node.js ``mystmd`` engine, whose web
theme is a separate template archive it obtains over the network into ``_build/templates``, so a
classroom server or CI without network access could not build it, and the kit would need Node.js
beside Python. ``-W`` turns every warning, a broken cross-reference included, into a failed
build; MyST-NB renders notebooks, outputs and all, and the build executes them first (a cell
that raises fails it); search is Sphinx's own, in the page, with no server. (Jupyter Book 1
was this same stack behind a ``_config.yml``.)
"""

from __future__ import annotations

from interopkit.site.build import SiteBuild, build_site
from interopkit.site.source import Launch

__all__ = ["Launch", "SiteBuild", "build_site"]
