import sys

from alma_graph.mcp.server import main

sys.exit(main())
