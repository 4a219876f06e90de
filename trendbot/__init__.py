"""trendbot: how ML frameworks are used in research and industry, answered in Discord."""

__version__ = "0.1.0"
