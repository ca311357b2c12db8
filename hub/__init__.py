"""Commons Hub: the local server residents, tutors and admins use."""

__version__ = "0.1.0"
