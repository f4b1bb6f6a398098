# The README's entry points. Each creates or reuses .venv first.
.PHONY: demo test bench mutation

demo:
	./scripts/bootstrap.sh
	.venv/bin/python -m alma_graph.demo

# With branch coverage, subprocesses (CLI, MCP server) included: the report shows the gaps.
test:
	./scripts/bootstrap.sh
	./scripts/install_chromium.sh  # the browser tests' chromium; the demo does not need it
	./scripts/test.sh --cov=alma_graph --cov-branch --cov-report=term

bench:
	./scripts/bootstrap.sh
	.venv/bin/python benchmarks/retrieve_latency.py

# By hand, not in CI: which changes to retrieval / learning / scope / validation no test notices.
mutation:
	./scripts/bootstrap.sh
	./scripts/mutation.sh
