"""trendbot: how ML frameworks are used in research and industry, answered in Discord."""

__version__ = "0.1.0"
# Named in the User-Agent of every request a collector makes, so a source's operator can see what
# is calling and where to read about it (TRENDBOT_CONTACT adds an operator's own address).
PROJECT_URL = "https://github.com/trendbot/trendbot"
