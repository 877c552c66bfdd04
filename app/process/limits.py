"""Limits of the process model (docs/access-control.md, docs/data-model.md and the seed), in one place for service, schema and docs."""

MAX_GROUP_DEPTH = 16  # group levels below the root (level 0); jobs are not a level
MAX_TREE_NODES = 5000  # groups and jobs below the root that clients wrote (generated ones excluded)
MAX_NAME_LENGTH = 1000  # process, group and job names (titles)
MAX_TEXT_LENGTH = 20000  # instructions and reminder bodies
MAX_SHORT_TEXT_LENGTH = 1000  # ids, documents, sections, subjects, tag categories and values
MAX_LIST_ITEMS = 1000  # calendars, business date lists, tags of a job, users of a step, steps
MAX_CUSTOM_REMINDERS = 3  # reminders in a `custom` ReminderData (seed)
