"""Notifications: outbox rows written with the transitions that ask something of a person, reminder plans,
and their delivery (in-app feed, email). Never imports the run domain: run writes through this service."""
