import sys

from pipelines.bench.run import main

sys.exit(main())
