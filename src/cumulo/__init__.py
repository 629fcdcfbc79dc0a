"""cumulo: a self-hosted PaaS for research federations."""

__version__ = "0.1.0"
