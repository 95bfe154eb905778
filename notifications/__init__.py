"""Messages to people (approvers, experts, delivery units): an outbox they read in the portal."""
