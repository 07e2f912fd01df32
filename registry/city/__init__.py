"""The city administrator's side of the registry: Chongqing's districts, the publishers the city
confirms, and the aggregate figures (labels, footprints and grades by category and district, by
month) its console charts and its API serve.

- :mod:`registry.city.districts`: the districts (``registry/data/districts.json``);
- :mod:`registry.city.models`, :mod:`registry.city.publishers`: publisher confirmations;
- :mod:`registry.city.stats`: the aggregates (SQL ``GROUP BY``), as a table, CSV or chart;
- :mod:`registry.city.svgchart`: a server-rendered, accessible SVG bar chart.
"""
