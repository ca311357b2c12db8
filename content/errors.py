"""One exception for every content problem, with a message a person can act on."""


class ContentError(Exception):
    """A course, package or author folder is not acceptable; the message says why."""
