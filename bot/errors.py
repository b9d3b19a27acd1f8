"""Expected failures the CLI and the bot turn into clear messages."""


class KnowledgeBaseInvalid(RuntimeError):
    """The bundled or configured KB does not validate; the message lists the errors."""


class TelegramUnavailable(RuntimeError):
    """The Bot API could not be reached at start, or refused the token; the message says which."""


class CannotListen(RuntimeError):
    """The webhook cannot listen on PORT (taken, or not allowed); the message says which port and why."""
