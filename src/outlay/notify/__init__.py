"""Notifications: what a guardrail event says, in each channel's format, and how it is sent.

``notice`` turns an ``AlertEvent`` into the parts every format shares; ``slack``, ``teams``,
``webhook`` and ``mail`` build each channel kind's message from them (pure functions);
``targets`` checks and masks channel addresses; ``send`` posts and mails, and ``retry`` decides
what a failed send does next.
"""
