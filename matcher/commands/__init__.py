"""The command groups of the policy-match CLI, one module each, registered by matcher/cli.py."""
