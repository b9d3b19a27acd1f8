"""What the application does, with no Telegram: checks, feedback, moderation, the KB store, statistics..."""
