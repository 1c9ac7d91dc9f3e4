"""Reference data of the registry (levels, series, authorities, …); see ``catalog``."""
