"""E-mail: messages composed for the outbox, and their delivery."""
