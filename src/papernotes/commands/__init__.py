"""Sub-commands beyond build/serve/init: each module adds its parser and runs it."""
