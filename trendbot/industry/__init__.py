"""Industry signals: the framework table and the metric catalogue (package data), shared by the
seed, collectors and commands. Pure definitions: no database, no network."""
