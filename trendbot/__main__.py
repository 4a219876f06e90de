import sys

from trendbot.cli import main

sys.exit(main())
