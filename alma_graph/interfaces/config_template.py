"""The commented config file ``alma-graph init`` writes (``str.format`` fields: project_id, storage)."""

CONFIG_TEMPLATE = """\
# alma_graph config, written by `alma-graph init`.
# Every key is optional. An unknown key or value is an error that names it.
# ${{VAR}} and ${{VAR:-default}} expand from the environment.
alma:
  project_id: {project_id}   # names this project's memories (a shared Neo4j server may hold several)
  storage: {storage}         # kuzu: embedded, one process at a time | neo4j: a server, many processes
  storage_dir: .alma         # where Kuzu and the vector index live; relative to the folder holding .alma/
  embedding_provider: local  # all-MiniLM-L6-v2 from the installed package, no download

  # Used when storage is neo4j:
  neo4j:
    uri: ${{NEO4J_URI:-bolt://localhost:7687}}
    user: ${{NEO4J_USER:-neo4j}}
    password: ${{NEO4J_PASSWORD:-}}
    database: neo4j

  retrieval:
    default_top_k: 5         # memories per kind that retrieve returns
    # How much each factor counts when memories are ranked (they need not sum to 1).
    weights: {{similarity: 0.4, recency: 0.3, success_rate: 0.2, confidence: 0.1, feedback: 0.15}}
    recency_half_life_days: 30
    min_similarity: 0.1      # less similar memories are not returned (preferences always are)

  learning:
    similarity_threshold: 0.7          # cosine of task + strategy for two outcomes to count as similar
    min_occurrences_for_heuristic: 3   # similar successes before a heuristic appears
    min_failures_for_anti_pattern: 2   # similar failures before an anti-pattern appears
    alternative_similarity_threshold: 0.4  # how close a heuristic must be to advise an anti-pattern

  # Agents and what they may learn. An agent not listed here may still be used and may learn anything.
  agents: {{}}
  #   senior_dev:
  #     can_learn: [architecture, coding_patterns]   # task types / domains it may write
  #     share_with: [junior_dev]                       # or ["*"] for every agent
  #   junior_dev:
  #     can_learn: [coding_patterns]
  #     cannot_learn: [database_queries]
  #     inherit_from: [senior_dev]                     # reads senior_dev's memories too
  #     min_occurrences_for_heuristic: 3

  # Signed webhooks every process opening this store delivers (CLI, serve mcp, Python):
  webhooks: []
  #   - url: https://hooks.example.com/alma
  #     secret: ${{ALMA_WEBHOOK_SECRET}}
  #     events: [created, updated, deleted]
"""
