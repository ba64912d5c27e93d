"""The build tool, on top of the studies: it executes the chapters and renders the site
(``pipeline``: ``python -m sbcore.build.pipeline``), and writes the pages that read every study's
stored results (``overview``: the introduction and the status page; ``reproduction``: the
reproduction overview; ``scoreboard``: its section on every number of the paper). Nothing
in ``sbcore`` imports it; the chapters 00 and 99 do."""
