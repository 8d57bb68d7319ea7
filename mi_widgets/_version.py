"""The package version, read by the build (``[tool.hatch.version]``) and by ``mi_widgets``."""

__version__ = "0.1.0"
