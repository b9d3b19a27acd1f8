"""Expected failures the CLI and the bot turn into clear messages."""


class KnowledgeBaseInvalid(RuntimeError):
    """The bundled or configured KB does not validate; the message lists the errors."""
