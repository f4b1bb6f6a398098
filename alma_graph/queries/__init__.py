"""Every Cypher statement alma_graph runs, parameterised.

``cypher.py`` holds the statements Kuzu and Neo4j share; ``kuzu.py`` and
``neo4j.py`` hold schema statements and the few dialect variants. Labels,
relationship types and property names are interpolated only from the closed
enums of ``alma_graph.graph_model``.
"""
